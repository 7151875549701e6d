#!/usr/bin/env bash
# The main job: build example_project/ in every variant, check each, run its programs,
# print a short report.
source "$(dirname "$0")/_setup.sh"
exec .venv/bin/python example_project/main_job.py "$@"
