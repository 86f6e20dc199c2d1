"""Starts moto server (pinned to 5.2.5) on 127.0.0.1 for the test suite, with the patches in
patches.py applied first: they close moto gaps that would leave a central path untested
(see DESIGN.md section 6). Usage: python server.py PORT"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import moto  # noqa: E402

if moto.__version__ != "5.2.5":
    sys.exit(f"moto {moto.__version__} found; the patches are written for 5.2.5")

import patches  # noqa: E402,F401  (applies them on import)
import lambda_code  # noqa: E402,F401  (GetFunction's Code.Location serves the zip)
import patches_cloudwatch  # noqa: E402,F401  (CloudWatch alarms as AWS answers)
import patches_s3  # noqa: E402,F401  (S3 replication: applies them on import)
import patches_replicate  # noqa: E402,F401  (replicate's, beside them)
from moto.server import main  # noqa: E402

main(["-H", "127.0.0.1", "-p", sys.argv[1]])
