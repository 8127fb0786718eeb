"""Rendering tables to LaTeX and Markdown with Jinja2: one template pair per table layout."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2

from ..io import atomic_write_text

TEMPLATES = Path(__file__).parents[1] / "templates"

_LATEX_SPECIALS = {"<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "²": r"\textsuperscript{2}", "±": r"$\pm$", "–": "--", "→": r"$\rightarrow$", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                   "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def latex_escape(value) -> str:
    return re.sub(r"[<>|²±–→&%$#_{}~^\\]", lambda m: _LATEX_SPECIALS[m.group()], str(value))


def markdown_escape(value) -> str:
    return str(value).replace("|", r"\|")


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


def write_pair(folder: Path, stem: str, texts: dict[str, str]) -> list[Path]:
    """`<folder>/<stem>.tex` and `.md`, each written atomically."""
    return [atomic_write_text(folder / f"{stem}.{kind}", text) for kind, text in texts.items()]
