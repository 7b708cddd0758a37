"""The baseline for the HTTP benchmark: one POST endpoint validating a 10-field marshmallow schema.

Served by the same gunicorn config as the service (``--config python:service.gunicorn_conf``) so the ratio
"estimate throughput / trivial throughput" isolates what the service does beyond parse + validate + answer:
``gunicorn --config python:service.gunicorn_conf --pythonpath bench 'trivial_app:create_app()'``.

``create_app(stack=True)`` is a diagnostic, not the benchmark's baseline: the same endpoint behind the service's
own serving layer (security headers, request id, metrics, JSON access line; ``FOOTPRINT_*`` settings as the
service reads them). The estimate endpoints' ratio against it is the cost of estimating alone; the gap
between the two baselines is the cost of those serving features (``bench/run.py --baseline stack``).
"""

from __future__ import annotations

import json

from flask import Flask, Response, request
from marshmallow import Schema, ValidationError, fields, validate


class TrivialSchema(Schema):
    """Ten fields of the kinds the estimate schemas use (strings, numbers, bounds, a choice, a bool)."""

    name = fields.String(required=True, validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.OneOf(["training", "fine-tuning", "inference"]))
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    hours = fields.Float(required=True, validate=validate.Range(min=0, max=1e9))
    tokens = fields.Float(load_default=None, validate=validate.Range(min=0))
    power_w = fields.Float(load_default=None, validate=validate.Range(min=1, max=100_000))
    pue = fields.Float(load_default=1.2, validate=validate.Range(min=1, max=3))
    region = fields.String(load_default=None, validate=validate.Length(max=64))
    provider = fields.String(load_default=None, validate=validate.Length(max=64))
    embodied = fields.Boolean(load_default=True)


#: The body the benchmark posts (every field present).
EXAMPLE = {
    "name": "bench",
    "kind": "training",
    "count": 8,
    "hours": 10.0,
    "tokens": 1.5e12,
    "power_w": 700.0,
    "pue": 1.1,
    "region": "us-east-1",
    "provider": "aws",
    "embodied": False,
}

SCHEMA = TrivialSchema()


def create_app(stack: bool = False) -> Flask:
    app = Flask(__name__)

    @app.post("/echo")
    def echo():
        try:
            data = SCHEMA.load(request.get_json(force=True))
        except ValidationError as err:
            return Response(json.dumps({"errors": err.messages}), status=422, mimetype="application/json")
        return Response(json.dumps({"ok": True, "fields": len(data)}), mimetype="application/json")

    @app.get("/readyz")
    def readyz():
        return Response('{"status":"ready"}', mimetype="application/json")

    if stack:
        from service.api.security import init_security
        from service.config import Settings
        from service.observability import init_observability

        settings = Settings.from_env()
        init_security(app, settings)  # the order of service.create_app: security, then observability
        init_observability(app, settings)
    return app
