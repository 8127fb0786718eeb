"""tlbench/reporting/index.py: tables in the registry's reading order, one \\input per table, main text and
supplement each table once."""
from tlbench import paths
from tlbench.reporting.experiments import Experiment
from tlbench.reporting.index import part_tex, table_stems, tables_tex


def test_listed_tables_come_first_in_their_order_then_the_rest_sorted_without_the_methods(tmp_path):
    for stem in ("zeta", "b_table", "alpha", "a_table", "methods"):
        (tmp_path / f"{stem}.tex").write_text("")
    (tmp_path / "only_md.md").write_text("")
    experiment = Experiment("x", "X", tables=("b_table", "a_table"))
    assert table_stems(tmp_path, experiment) == ["b_table", "a_table", "alpha", "only_md", "zeta"]


def test_every_table_is_input_once_and_main_and_supplement_split_them(tmp_path):
    folder = tmp_path / paths.tables("fusion")
    folder.mkdir(parents=True)
    for stem in ("fusion", "fusion_transferability", "methods"):
        (folder / f"{stem}.tex").write_text("")
    everything, main, supplement = tables_tex(tmp_path), part_tex(tmp_path, "main"), part_tex(tmp_path, "supplement")
    for stem in ("fusion", "fusion_transferability"):
        line = f"\\input{{{(paths.tables('fusion') / stem).as_posix()}}}"
        assert everything.count(line) == 1 and (line in main) != (line in supplement)
    assert "fusion_transferability" in supplement and "methods}" not in everything
