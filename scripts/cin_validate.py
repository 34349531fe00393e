"""Run DfE's CIN census rules (csc-validator-be-cin) on one XML file; print the issues as JSON.

Runs inside its own virtual environment (`make cin-validator` creates `.cin-validator`): the
validator pins pandas<2 and needs numpy<2, which conflict with the project's environment. It
uses the validator's Python API because its command line always exits 0.

    .cin-validator/bin/python scripts/cin_validate.py FILE.xml [--ruleset cin2024_25]

Output: {"ruleset": ..., "rules_run": N, "issues": [{"rule", "type", "message", "child",
"table", "columns"}...]}; exit code 0 (issues or not), 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import warnings
import xml.etree.ElementTree as ET


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--ruleset", default="cin2024_25")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from cin_validator import cin_validator

    try:
        root = ET.parse(args.file).getroot()
    except (OSError, ET.ParseError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    registry = importlib.import_module(f"cin_validator.rules.{args.ruleset}").registry
    data = cin_validator.process_data(cin_validator.convert_data(root))
    v = cin_validator.CinValidator(data, registry)
    types = {str(r.code): r.rule_type.name for r in registry.values()}
    messages = {str(r.code): r.message for r in registry.values()}
    issues = []
    df = v.full_issue_df
    for _, row in df.iterrows():
        code = str(row.get("rule_code"))
        issues.append(
            {
                "rule": code,
                "type": types.get(code, "ERROR"),
                "message": messages.get(code, ""),
                "child": None
                if str(row.get("child_id")) in ("nan", "None")
                else str(row.get("child_id")),
                "table": str(row.get("tables_affected")),
                "columns": str(row.get("columns_affected")),
            }
        )
    for _, row in v.multichild_issues.iterrows():
        code = str(row.get("rule_code"))
        issues.append(
            {
                "rule": code,
                "type": types.get(code, "ERROR"),
                "message": messages.get(code, ""),
                "child": None,
                "table": "(return)",
                "columns": "",
            }
        )
    print(json.dumps({"ruleset": args.ruleset, "rules_run": len(registry), "issues": issues}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
