"""Test fixture plugin: reports what it received. Standard library only."""
import json
import os
import sys
import time

for arg in sys.argv[1:]:
    if arg.startswith("--sleep="):
        time.sleep(float(arg.split("=", 1)[1]))

print(json.dumps({"result": {"argv": sys.argv[1:], "cwd": os.getcwd(), "env_secret": os.environ.get("MCP_API_KEY")}}))
