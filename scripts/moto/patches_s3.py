"""Patches to moto 5.2.5's S3 where bucket replication's central paths depend on AWS's behaviour
(each one checked by __tests__/replicate/s3/emulator-rules.emulator.test.ts). Nothing here is
reachable from the action's own code."""
from moto.s3 import models as s3_models  # noqa: E402
from moto.s3 import responses as s3_responses  # noqa: E402
from moto.s3.exceptions import PreconditionFailed  # noqa: E402


def _unquoted(etag: str) -> str:
    return etag.strip().strip('"')


def _source_key(response: "s3_responses.S3Response"):
    from urllib.parse import parse_qs, unquote, urlparse

    copy_source = response.headers.get("x-amz-copy-source")
    if isinstance(copy_source, bytes):
        copy_source = copy_source.decode("utf-8")
    parsed = urlparse(copy_source)
    bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
    version = parse_qs(parsed.query).get("versionId", [None])[0]
    return response.backend.get_object(bucket, key, version_id=version)


def _check_copy_source_if_match(response: "s3_responses.S3Response") -> None:
    wanted = response.headers.get("x-amz-copy-source-if-match")
    if not wanted:
        return
    source = _source_key(response)
    if source is not None and _unquoted(source.etag) != _unquoted(wanted):
        raise PreconditionFailed(failed_condition="x-amz-copy-source-If-Match")


# --- CopyObject and UploadPartCopy honour x-amz-copy-source-if-match (412 PreconditionFailed) --
# (moto: ignored, so a copy of an object that changed since it was listed succeeded silently).
_copy_object = s3_responses.S3Response.copy_object


def _copy_object_checked(self):
    _check_copy_source_if_match(self)
    return _copy_object(self)


s3_responses.S3Response.copy_object = _copy_object_checked

_upload_part_copy = s3_responses.S3Response.upload_part_copy


def _upload_part_copy_checked(self):
    _check_copy_source_if_match(self)
    return _upload_part_copy(self)


s3_responses.S3Response.upload_part_copy = _upload_part_copy_checked


# --- CopyObject does not copy x-amz-website-redirect-location unless the request sets it -------
# ("x-amz-website-redirect-location is unique to each object and is not copied when using the
# x-amz-metadata-directive header"; moto copied it with the metadata).
_backend_copy = s3_models.S3Backend.copy_object


def _backend_copy_without_redirect(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs):
    _backend_copy(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs)
    if kwargs.get("website_redirect_location"):
        return
    new_key = self.get_object(dest_bucket_name, dest_key_name)
    if new_key is not None:
        new_key.website_redirect_location = None
        new_key._metadata.pop("x-amz-website-redirect-location", None)


s3_models.S3Backend.copy_object = _backend_copy_without_redirect


# --- GetBucketNotificationConfiguration shows EventBridgeConfiguration once it is enabled -------
# (moto delivered events to EventBridge but left it out of the configuration it returned).
_get_notification = s3_responses.S3Response.get_bucket_notification


def _get_notification_with_eventbridge(self):
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    status, headers, body = _get_notification(self)
    if config is None or config.event_bridge is None:
        return status, headers, body
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    marker = "</NotificationConfiguration>"
    if "<EventBridgeConfiguration" in text:
        return status, headers, body
    if marker in text:
        text = text.replace(marker, "<EventBridgeConfiguration></EventBridgeConfiguration>" + marker)
    else:  # an otherwise empty configuration: <NotificationConfiguration/> or nothing
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            "<EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>"
        )
    headers = dict(headers)
    headers.pop("content-length", None)
    headers.pop("Content-Length", None)
    return status, headers, text


s3_responses.S3Response.get_bucket_notification = _get_notification_with_eventbridge


# --- An SQS event source mapping leaves the queue's messages to Lambda's poller ---------------
# AWS: Lambda polls the queue, invokes the function with a batch, and deletes the messages the
# function did not report as failed. moto runs that inline on every SendMessage: it receives the
# batch (counting a receive, which moves messages to the dead-letter queue after
# maxReceiveCount), tries to run the function in docker, and cannot. Here the messages stay in
# the queue, unreceived, for the tests to deliver to the handler as Lambda's poller would.
from moto.sqs import models as sqs_models  # noqa: E402


class _PolledByLambda(dict):
    """The queue's mappings, kept (create, get and delete use them) but never invoked inline."""

    def items(self):  # type: ignore[override]
        return iter(())


_queue_init = sqs_models.Queue.__init__


def _queue_init_polled(self, *args, **kwargs):
    _queue_init(self, *args, **kwargs)
    self.lambda_event_source_mappings = _PolledByLambda(self.lambda_event_source_mappings)


sqs_models.Queue.__init__ = _queue_init_polled
