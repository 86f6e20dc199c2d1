"""GetFunction's Code.Location serves the function's zip, per version, as on AWS.

AWS answers GetFunction with Code.Location, a presigned S3 URL from which the deployment package
of that version can be downloaded for ten minutes. moto 5.2.5 returns a Location on an S3 host
that nothing serves, and a published version shares its `code` dict with $LATEST (a shallow
copy), so after UpdateFunctionCode a version's Location names the new code. Here each version's
Location names that version (and its SHA-256), and a GET on it, sent to the emulator with the
Location's Host header, answers the version's own bytes. The local CloudFront stand-in of the
tests and the demo downloads the edge function this way, as one would from AWS."""
import base64
import re

from moto.awslambda import models as aws_lambda
from moto.awslambda.models import lambda_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_HOST = re.compile(r"^awslambda-(?P<region>[a-z0-9-]+)-tasks\.s3\.(?P=region)\.amazonaws\.com$")
_PATH = re.compile(
    r"^/snapshots/(?P<account>\d{12})/(?P<name>[^/]+)/(?P<version>[^/]+)/(?P<sha>[A-Za-z0-9_-]+)$"
)


def _sha_token(fn) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(fn.code_sha_256 or "")).decode().rstrip("=")


_get_code = aws_lambda.LambdaFunction.get_code


def _get_code_per_version(self):
    resp = _get_code(self)
    code = resp.get("Code") or {}
    if code.get("RepositoryType") == "S3" and self.code_bytes:
        version = "$LATEST" if str(self.version) == "$LATEST" else str(self.version)
        code["Location"] = (
            f"https://awslambda-{self.region}-tasks.s3.{self.region}.amazonaws.com"
            f"/snapshots/{self.account_id}/{self.function_name}/{version}/{_sha_token(self)}"
        )
    return resp


aws_lambda.LambdaFunction.get_code = _get_code_per_version


def _find(region, account, name, version, sha):
    try:
        storage = lambda_backends[account][region]._lambdas
    except KeyError:
        return None
    entry = storage._functions.get(name)
    if entry is None:
        return None
    candidates = [entry["latest"]] if version == "$LATEST" else entry["versions"]
    for fn in candidates:
        if fn is not None and str(fn.version) == version and _sha_token(fn) == sha:
            return fn
    return None


_dispatch = DomainDispatcherApplication.__call__


def _dispatch_with_code_locations(self, environ, start_response):
    host = _HOST.match((environ.get("HTTP_HOST") or "").split(":")[0])
    if host is None or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return _dispatch(self, environ, start_response)
    path = _PATH.match(environ.get("PATH_INFO") or "")
    fn = path and _find(host["region"], path["account"], path["name"], path["version"], path["sha"])
    if not fn:
        start_response("404 Not Found", [("Content-Type", "application/xml")])
        return [b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"]
    body = fn.code_bytes
    start_response(
        "200 OK",
        [("Content-Type", "application/zip"), ("Content-Length", str(len(body)))],
    )
    return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]


DomainDispatcherApplication.__call__ = _dispatch_with_code_locations
