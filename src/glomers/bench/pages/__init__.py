"""The pages of a run: the console summary, report.html, the timeline and the plots."""
