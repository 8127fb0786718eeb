"""The seed's published values, transcribed from `shared/seed/000_487d60a7ff752e05.txt`."""

# Table 6: CNNs pre-trained on ImageNet, PH2, 20-fold CV, balanced accuracy (%) of a linear SVM
# [dos Santos and Ponti, 2018]. (backbone, layer) -> (n_features, % features with variance, mean, std)
TABLE6 = {
    ("vgg19", -2): (4096, 93.7, 88.5, 6.54),
    ("vgg19", -3): (4096, 93.7, 88.5, 8.53),
    ("vgg19", -4): (25088, 86.8, 89.0, 6.24),
    ("vgg19", -5): (25088, 86.8, 88.5, 7.26),
    ("vgg19", -6): (100352, 75.2, 91.5, 7.92),
    ("vgg19", -7): (100352, 92.8, 91.5, 6.54),
    ("resnet50", -2): (2048, 100.0, 90.0, 7.75),
    ("resnet50", -3): (2048, 100.0, 90.5, 7.4),
    ("resnet50", -4): (100352, 96.3, 91.5, 7.92),
    ("resnet50", -5): (100352, 100.0, 91.5, 7.26),
    ("resnet50", -6): (100352, 100.0, 90.5, 7.4),
    ("resnet50", -7): (100352, 100.0, 90.5, 9.73),
}
TABLE6_SOURCE = "dos Santos and Ponti, SIBGRAPI 2018 (the lecture's Table 6)"

# Tables 1-5: video anomaly detection across domains, EER (%) [dos Santos, Ribeiro and Ponti, JVCI 2019].
# Spaces: "Cross-feature" (raw), PCA, TCA. Keys use tlbench's scene names.
ANOMALY_SOURCE = "dos Santos, Ribeiro and Ponti, JVCI 2019 (the lecture's Tables 1–5)"
SPACES = ("raw", "pca", "tca")
TABLE1 = {  # (source, target) -> (raw, pca, tca)
    ("ped1", "ped1"): (51.4, 35.17, 39.68), ("ped2", "ped1"): (51.46, 39.13, 41.7),
    ("belleview", "ped1"): (50.75, 30.56, 45.89), ("train", "ped1"): (51.75, 39.72, 33.66),
    ("ped2", "ped2"): (26.26, 44.13, 33.26), ("ped1", "ped2"): (26.25, 46.14, 38.54),
    ("belleview", "ped2"): (26.26, 34.63, 38.01), ("train", "ped2"): (25.69, 41.89, 52.51),
    ("belleview", "belleview"): (33.47, 51.38, 32.24), ("ped1", "belleview"): (33.45, 45.45, 35.25),
    ("ped2", "belleview"): (33.47, 40.63, 39.12), ("train", "belleview"): (32.92, 49.31, 34.35),
    ("train", "train"): (47.2, 42.84, 51.47), ("ped1", "train"): (46.73, 46.16, 43.96),
    ("ped2", "train"): (46.67, 49.0, 42.68), ("belleview", "train"): (46.84, 51.46, 45.89),
}
TABLE_PARTIAL = {  # Tables 2 and 4: (source, target) -> G_part per space
    ("ped2", "ped1"): (25.2, 5.0, 8.44), ("belleview", "ped1"): (17.28, 20.82, 10.47),
    ("ped1", "ped2"): (25.15, 10.97, 1.14), ("belleview", "ped2"): (7.21, 16.75, 5.77),
    ("ped1", "belleview"): (17.95, 10.28, 4.43), ("ped2", "belleview"): (7.21, 3.5, 5.86),
    ("train", "ped1"): (4.55, 3.12, 17.81), ("train", "ped2"): (21.51, 0.95, 1.04),
    ("train", "belleview"): (14.28, 6.47, 17.12), ("ped1", "train"): (4.67, 10.99, 4.28),
    ("ped2", "train"): (20.41, 4.87, 9.42), ("belleview", "train"): (13.37, 0.08, 13.65),
}
TABLE_PARTIAL_NUMBER = {k: (2 if "train" not in k else 4) for k in TABLE_PARTIAL}
TABLE_COMPLETE = {  # Tables 3 and 5: (A, B) -> G_comp per space
    ("ped1", "ped2"): (25.2, 7.99, 4.79), ("ped1", "belleview"): (17.6, 15.6, 7.45),
    ("ped2", "belleview"): (7.21, 10.12, 5.82), ("train", "ped1"): (4.61, 7.06, 11.0),
    ("train", "ped2"): (21.0, 2.91, 5.23), ("train", "belleview"): (13.8, 3.28, 15.4),
}
TABLE_COMPLETE_NUMBER = {k: (3 if "train" not in k else 5) for k in TABLE_COMPLETE}

# Table 7: accuracy (%) on Supermarket Produce, ResNet50 pre-trained on ImageNet and adapted on
# Fruits-360 [dos Santos and Ponti, SIBGRAPI 2019]. n_components -> (global, +block1, +block2, +block3)
TABLE7_SOURCE = "dos Santos and Ponti, SIBGRAPI 2019 (the lecture's Table 7)"
TABLE7 = {
    256: (28.24, 36.48, 37.18, 37.33),
    192: (30.24, 36.08, 37.33, 37.48),
    128: (34.23, 38.32, 38.87, 37.77),
    96: (33.63, 39.42, 40.52, 40.27),
    64: (27.59, 37.77, 39.62, 38.92),
}
TABLE7_AVG = (30.79, 37.61, 38.7, 38.35)
