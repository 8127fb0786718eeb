"""Rendering tables to LaTeX and Markdown with Jinja2.

A table is data (`Table`: columns, rows, caption pieces); cells are rendered here, once for LaTeX
(everything escaped, formulas in math, negative numbers with a real minus) and once for Markdown,
and the templates `table.tex.j2` / `table.md.j2` lay them out. The LaTeX needs only booktabs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from ..io import atomic_write_text

TEMPLATES = Path(__file__).parents[1] / "templates"

_LATEX_SPECIALS = {
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "²": r"\textsuperscript{2}",
    "±": r"$\pm$",
    "–": "--",
    "−": "$-$",
    "→": r"$\rightarrow$",
    "->": r"$\rightarrow$",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "τ": r"$\tau$",
    "ρ": r"$\rho$",
    "Δ": r"$\Delta$",
    "×": r"$\times$",
    "ç": r"\c{c}",
    "†": r"$^\dagger$",
    "α": r"$\alpha$",
    "γ": r"$\gamma$",
    "μ": r"$\mu$",
    "ν": r"$\nu$",
}
# "->" before ">", a minus sign where a hyphen starts a number ("-2", "(-0.40"), then single characters
_LATEX_PATTERN = re.compile(r"->|(?<![\w.])-(?=\d)|[<>|²±–−→&%$#_{}~^\\τρΔ×ç†αγμν]")
_DIMENSIONS = re.compile(r"(?<![\w.])(\d+)x(\d+)(?![\w.])")  # 224x224 -> 224×224 (a times sign, not a letter)
_K_EQUALS = re.compile(r"(?<![\w\\{$])k = (\d+)")  # the k of k-NN in math: $k = 1$
_SQUARED = re.compile(r"(?<![A-Za-z])(\d*[a-z])\\textsuperscript\{2\}")  # 4d² -> $4d^2$ (MMD² stays text)


def latex_escape(value) -> str:
    """Text for LaTeX: every special character escaped, `->` as an arrow, a minus for negative numbers."""
    if isinstance(value, Rich):
        return value.tex
    text = _DIMENSIONS.sub("\\1×\\2", str(value))
    text = _LATEX_PATTERN.sub(lambda m: "$-$" if m.group() == "-" else _LATEX_SPECIALS[m.group()], text)
    return _K_EQUALS.sub(r"$k = \1$", _SQUARED.sub(r"$\1^2$", text))


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(x: float, decimals: int = 2) -> Rich:
    """m.mm × 10^e with a fixed number of decimals: $7.71\\times10^{12}$ in LaTeX, 7.71×10¹² in Markdown."""
    mantissa, exponent = f"{x:.{decimals}e}".split("e")
    e = int(exponent)
    tex_mantissa = mantissa.replace("-", "$-$")
    return Rich(rf"{tex_mantissa}$\times10^{{{e}}}$", f"{mantissa}×10{str(e).translate(_SUPERSCRIPT)}")


def markdown_escape(value) -> str:
    if isinstance(value, Rich):
        return value.md
    return _DIMENSIONS.sub("\\1×\\2", str(value)).replace("|", r"\|")


@dataclass(frozen=True)
class Rich:
    """Text with a LaTeX form of its own (a formula), e.g. Rich(r"$G_\\mathrm{part}$", "G_part")."""
    tex: str
    md: str

    def __str__(self) -> str:
        return self.md

    def __add__(self, other) -> Rich:
        return Rich(self.tex + latex_escape(other), self.md + markdown_escape(other))

    def __radd__(self, other) -> Rich:
        return Rich(latex_escape(other) + self.tex, markdown_escape(other) + self.md)


def join(*parts, sep: str = " ") -> Rich:
    """Plain and Rich pieces joined, each escaped for its format; empty pieces dropped."""
    parts = [p for p in parts if p not in (None, "")]
    return Rich(sep.join(latex_escape(p) for p in parts), sep.join(markdown_escape(p) for p in parts))


@dataclass(frozen=True)
class PM:
    """A mean ± spread cell: split over two aligned LaTeX columns (r@{ ± }l)."""
    mean: str
    spread: str
    bold: bool = False


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Section:
    """A row that names the rows below it (a CNN, a task), spanning the table."""
    text: object


@dataclass
class Column:
    header: object
    align: str = "r"  # l, r, c or p{<width>}; a PM column is always r@{ ± }l
    pm: bool = False
    group: object = None  # a header spanning consecutive columns with the same group


@dataclass
class Table:
    stem: str  # file name: <stem>.tex / <stem>.md, label tab:tlbench-<stem>
    short: object  # the \listoftables entry, and the Markdown heading
    caption: object  # what follows the short caption: protocol, data, provenance
    columns: list[Column]
    rows: list = field(default_factory=list)  # lists of cells, or Section
    wide: bool = False  # table* (both columns of a two-column paper)
    methods: object = (
        ""  # the protocol, preprocessing and provenance: the experiment's methods paragraph, not the caption
    )
    tabcolsep: str = "4pt"

    @property
    def label(self) -> str:
        return table_label(self.stem)


def table_label(stem: str) -> str:
    return "tab:tlbench-" + stem.replace("_", "-")


def table_ref(stem: str) -> Rich:
    """Another generated table by reference: `Table~\\ref{...}` in LaTeX (numbered by the paper), its stem in
    Markdown."""
    return Rich(rf"Table~\ref{{{table_label(stem)}}}", f"`{stem}`")


def _tex_cell(cell, column: Column) -> str:
    if column.pm:
        if isinstance(cell, PM):
            mean, spread = latex_escape(cell.mean), latex_escape(cell.spread)
            if not cell.spread:  # no ± either: the first column's own spec without the separator
                return rf"\multicolumn{{1}}{{r@{{}}}}{{{mean}}} & "
            return rf"\textbf{{{mean}}} & \textbf{{{spread}}}" if cell.bold else f"{mean} & {spread}"
        return rf"\multicolumn{{2}}{{c}}{{{latex_escape(cell or '--')}}}"
    if isinstance(cell, Bold):
        return rf"\textbf{{{latex_escape(cell.text)}}}"
    return latex_escape("" if cell is None else cell)


def _md_cell(cell) -> str:
    if isinstance(cell, PM):
        text = f"{cell.mean} ± {cell.spread}" if cell.spread else cell.mean
        return f"**{text}**" if cell.bold else text
    if isinstance(cell, Bold):
        return f"**{markdown_escape(cell.text)}**"
    return markdown_escape("–" if cell in (None, "") else cell)


def _sentence(text):
    """The short caption as the long caption's first sentence: a full stop unless it ends in one."""
    return text if str(text).rstrip().endswith((".", "?", "!")) else text + "."


def _group_spans(columns: list[Column]) -> list[tuple[object, int, int]]:
    """(group, first LaTeX column, last) for each run of columns with the same group."""
    spans, col = [], 1
    for c in columns:
        width = 2 if c.pm else 1
        if spans and c.group is not None and spans[-1][0] == c.group:
            spans[-1] = (c.group, spans[-1][1], col + width - 1)
        else:
            spans.append((c.group, col, col + width - 1))
        col += width
    return spans


def _tex_context(t: Table) -> dict:
    spec = "".join(r"r@{\,$\pm$\,}l" if c.pm else c.align for c in t.columns)
    n = sum(2 if c.pm else 1 for c in t.columns)
    spans = _group_spans(t.columns)
    groups = ""
    if any(g is not None for g, _, _ in spans):
        # a group-less cell spans its columns too: a lone cell of an r@{ ± }l pair would print the ±
        cells = [
            rf"\multicolumn{{{b - a + 1}}}{{c}}{{{latex_escape(g) if g is not None else ''}}}" for g, a, b in spans
        ]
        rules = "".join(rf"\cmidrule(lr){{{a}-{b}}}" for g, a, b in spans if g is not None)
        groups = " & ".join(cells) + r" \\" + "\n" + rules
    header = " & ".join(rf"\multicolumn{{2}}{{c}}{{{latex_escape(c.header)}}}" if c.pm else latex_escape(c.header)
                        for c in t.columns)
    rows = []
    for r in t.rows:
        if isinstance(r, Section):
            rows.append(rf"\multicolumn{{{n}}}{{@{{}}l}}{{\emph{{{latex_escape(r.text)}}}}} \\")
        else:
            rows.append(" & ".join(_tex_cell(cell, c) for cell, c in zip(r, t.columns)) + r" \\")
    return {"env": "table*" if t.wide else "table", "spec": spec, "groups": groups, "header": header, "rows": rows,
            "short": latex_escape(t.short), "caption": latex_escape(_sentence(t.short)) + " " + latex_escape(t.caption),
            "label": t.label,
            "tabcolsep": t.tabcolsep}


def _md_context(t: Table) -> dict:
    def head(c: Column) -> str:
        return (
            markdown_escape(c.header) if c.group is None else f"{markdown_escape(c.group)}: {markdown_escape(c.header)}"
        )

    rows = []
    for r in t.rows:
        if isinstance(r, Section):
            rows.append("| " + " | ".join([f"*{markdown_escape(r.text)}*"] + [""] * (len(t.columns) - 1)) + " |")
        else:
            rows.append("| " + " | ".join(_md_cell(cell) for cell in r) + " |")
    align = "|" + "|".join("---" if c.align == "l" or c.align.startswith("p") else ":---:" if c.align == "c" else "---:"
                           for c in t.columns) + "|"
    return {
        "header": "| " + " | ".join(head(c) for c in t.columns) + " |",
        "align": align,
        "rows": rows,
        "short": markdown_escape(t.short),
        "caption": markdown_escape(_sentence(t.short)) + " " + markdown_escape(t.caption),
        "methods": markdown_escape(t.methods),
        "stem": t.stem,
    }


def environment(kind: str) -> jinja2.Environment:
    if kind == "tex":  # delimiters that do not clash with LaTeX braces
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), block_start_string="((*", block_end_string="*))",
            variable_start_string="(((", variable_end_string=")))", comment_start_string="((=",
            comment_end_string="=))", trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined, autoescape=False)
        env.filters["e"] = latex_escape
    else:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, lstrip_blocks=True,
                                 keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False)
        env.filters["e"] = markdown_escape
    return env


def render_pair(template: str, kinds: tuple[str, ...] = ("tex", "md"), **context) -> dict[str, str]:
    """{"tex": ..., "md": ...} from `<template>.tex.j2` and `<template>.md.j2`."""
    return {kind: environment(kind).get_template(f"{template}.{kind}.j2").render(**context) for kind in kinds}


def render_table(table: Table) -> dict[str, str]:
    return {"tex": render_pair("table", kinds=("tex",), **_tex_context(table))["tex"],
            "md": render_pair("table", kinds=("md",), **_md_context(table))["md"]}


def write_pair(folder: Path, stem: str, texts: dict[str, str]) -> list[Path]:
    """`<folder>/<stem>.tex` and `.md`, each written atomically."""
    return [atomic_write_text(folder / f"{stem}.{kind}", text) for kind, text in texts.items()]


def write_tables(folder: Path, tables: list[Table]) -> list[Path]:
    """Each table's `.tex` and `.md`, and the experiment's methods paragraphs (`methods.tex`, `methods.md`)."""
    written = [p for t in tables for p in write_pair(folder, t.stem, render_table(t))]
    return written + write_pair(folder, METHODS_STEM, render_methods(tables))


METHODS_STEM = "methods"  # reports/tables/<experiment>/methods.{tex,md}: not a table


def render_methods(tables: list[Table]) -> dict[str, str]:
    """One paragraph per distinct methods text, naming the tables it describes (\\ref in LaTeX)."""
    groups: dict[tuple[str, str], list[Table]] = {}
    for t in tables:
        if t.methods not in (None, ""):
            groups.setdefault((latex_escape(t.methods), markdown_escape(t.methods)), []).append(t)
    paragraphs = [{"tex_refs": ", ".join(rf"\ref{{{t.label}}}" for t in group),
                   "md_refs": ", ".join(f"`{t.stem}`" for t in group), "tex": tex, "md": md, "n": len(group)}
                  for (tex, md), group in groups.items()]
    return render_pair("methods", paragraphs=paragraphs)
