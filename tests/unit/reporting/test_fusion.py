from tlbench.reporting.fusion import table7_rows


def test_table7_rows_with_the_seed_and_average():
    from tlbench.records import FusionSplit
    from tlbench.reporting.render import PM

    def split(column: str, n: int, accuracy: float) -> FusionSplit:
        return FusionSplit("fusion", "demo", column, n, 0, 10, 10, accuracy, "standardize", "avg", 1.0, "resnet50",
                           "test weights", "avgpool", None if column == "global" else column)

    rows = [split(c, n, a) for c in ("global", "block1", "block2", "block3")
            for n, a in ((256, 0.5), (256, 0.6), (64, 0.7), (64, 0.7))]
    body, avg = table7_rows(rows)[:-1], table7_rows(rows)[-1]
    assert body[0][:3] == ["256", PM("55.0", "7.1"), "28.24"]  # sample std of 50 and 60: 7.07
    assert body[1][:3] == ["64", PM("70.0", "0.0"), "27.59"]
    assert avg[:3] == ["Avg.", PM("62.5", ""), "30.79"]
