"""A blind benchmark generator: a synthetic API traffic log with ground truth, written from the public log spec
and public reports only, without reading the detector. See README.md."""
