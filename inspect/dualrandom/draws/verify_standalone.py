"""Placeholder: the standalone verifier is written in the next commit."""

import sys

sys.exit("verify.py: not available in this build; use dualrandom verify FOLDER")
