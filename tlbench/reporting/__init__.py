"""Reporting: table rendering, figures, the published values, the reports index and the gate."""
