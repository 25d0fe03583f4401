"""Every audit report a gf3 test builds is checked against the report's JSON Schema."""

import json
from pathlib import Path

import jsonschema
import pytest

from acset_s2r.gf3.audit import AuditReport

SCHEMA_FILE = Path(__file__).parents[2] / "schemas" / "skill_audit_report.schema.json"
REPORT_SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
CHECKED: list[int] = []  # how many reports were validated, so a test can see the hook works


@pytest.fixture(autouse=True)
def _validate_every_report(monkeypatch):
    built = AuditReport.__init__

    def init(self, *args, **kwargs):
        built(self, *args, **kwargs)
        VALIDATOR.validate(self.to_dict())
        CHECKED.append(1)

    monkeypatch.setattr(AuditReport, "__init__", init)
    yield
