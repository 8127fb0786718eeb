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
TABLE6_SOURCE = "dos Santos and Ponti, SIBGRAPI 2018 (seed Table 6)"
