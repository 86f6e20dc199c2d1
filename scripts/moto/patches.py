"""Patches to moto 5.2.5 that make it closer to AWS where the action's central paths depend on
it. Each patch is small, named after the AWS behaviour it restores, and only changes what moto
gets wrong. Nothing here is reachable from the action's own code."""
import os

# --- AWS managed IAM policies exist (AWSLambdaBasicExecutionRole for the edge role) ----------
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.acm.models import acm_backends  # noqa: E402
from moto.cloudfront import models as cf  # noqa: E402
from moto.cloudfront.exceptions import CloudFrontException  # noqa: E402
from moto.moto_api import state_manager  # noqa: E402

# --- Status: an update makes a distribution InProgress; it is Deployed after the next read ----
# (moto: "immediate", i.e. always Deployed). One read keeps the suite fast; waiters still see the
# reset after every update.
state_manager.register_default_transition(
    "cloudfront::distribution", transition={"progression": "manual", "times": 1}
)


def _mark_in_progress(dist: "cf.Distribution") -> None:
    dist.status = "InProgress"
    dist._tick = 0


# --- Cache behaviours keep their LambdaFunctionAssociations / FunctionAssociations -----------
# (moto: always Quantity 0, so the router's edge function was invisible).
def _items(value) -> list:
    """Items of a Quantity/Items list as moto parsed it (one <Item> is a dict, several a list)."""
    items = (value or {}).get("Items") or []
    if isinstance(items, dict):
        items = list(items.values())[0]
        items = items if isinstance(items, list) else [items]
    return items


def _associations(config, key):
    items = _items(config.get(key))
    if not items:
        return {"Quantity": 0}
    return {"Quantity": len(items), "Items": items}


_behaviour_init = cf.DefaultCacheBehaviour.__init__


def _behaviour_init_keeping_associations(self, config):
    _behaviour_init(self, config)
    self.lambda_function_associations = _associations(config, "LambdaFunctionAssociations")
    self.function_associations = _associations(config, "FunctionAssociations")


cf.DefaultCacheBehaviour.__init__ = _behaviour_init_keeping_associations


# --- Origins keep their OriginAccessControlId (moto: dropped) ----------------------------------
_origin_init = cf.Origin.__init__


def _origin_init_keeping_oac(self, origin):
    _origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId") or ""


cf.Origin.__init__ = _origin_init_keeping_oac


# --- Errors AWS raises that moto does not ----------------------------------------------------
class CNAMEAlreadyExists(CloudFrontException):
    def __init__(self, alias: str, holder: str) -> None:
        super().__init__(
            "CNAMEAlreadyExists",
            f"One or more of the CNAMEs you provided are already associated with a different resource. ({alias} is held by {holder})",
        )


class PreconditionFailed(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "PreconditionFailed",
            "The precondition in one or more of the request fields evaluated to false.",
        )


class DistributionNotDisabled(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled (and Deployed).",
        )


class InvalidViewerCertificate(CloudFrontException):
    def __init__(self, alias: str) -> None:
        super().__init__(
            "InvalidViewerCertificate",
            f"The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain. ({alias} is not covered)",
        )


def _aliases(config) -> list:
    return [str(a).lower() for a in _items(config.get("Aliases"))]


def _held_aliases(dist) -> list:
    return [str(a).lower() for a in _items(dist.distribution_config.Aliases)]


def _covers(names, host: str) -> bool:
    for name in names:
        name = name.lower()
        if name == host:
            return True
        if name.startswith("*.") and not host.startswith("*.") and "." in host:
            if host.split(".", 1)[1] == name[2:]:
                return True
    return False


class InvalidLambdaFunctionAssociation(CloudFrontException):
    def __init__(self) -> None:
        super().__init__(
            "InvalidLambdaFunctionAssociation",
            "You can't combine CloudFront Functions and Lambda@Edge in viewer events (viewer request and viewer response).",
        )


class InvalidArgument(CloudFrontException):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidArgument", message)


class IllegalUpdate(CloudFrontException):
    def __init__(self, message: str) -> None:
        super().__init__("IllegalUpdate", message)


def _check_behaviours(config) -> None:
    """AWS (Restrictions on all edge functions): for a given cache behaviour, CloudFront
    Functions and Lambda@Edge cannot be combined in viewer events."""
    behaviours = [config.get("DefaultCacheBehavior") or {}]
    behaviours += _items(config.get("CacheBehaviors"))
    viewer = ("viewer-request", "viewer-response")
    for b in behaviours:
        lambdas = [a.get("EventType") for a in _items(b.get("LambdaFunctionAssociations"))]
        functions = [f.get("EventType") for f in _items(b.get("FunctionAssociations"))]
        if any(e in viewer for e in lambdas) and any(e in viewer for e in functions):
            raise InvalidLambdaFunctionAssociation()


def _check(backend, config, self_id) -> None:
    """CNAMEAlreadyExists (an alias, wildcard or exact, on one distribution only), certificate
    coverage of every alias (ACM in us-east-1), edge functions in viewer events, and the
    distributions that hold no aliases (staging, multi-tenant)."""
    _check_behaviours(config)
    aliases = _aliases(config)
    if aliases and str(config.get("Staging")).lower() == "true":
        raise InvalidArgument("A staging distribution cannot have alternate domain names (CNAMEs).")
    if aliases and config.get("ConnectionMode") == "tenant-only":
        raise InvalidArgument(
            "A multi-tenant distribution (ConnectionMode tenant-only) cannot have alternate domain names."
        )
    for other in backend.distributions.values():
        if other.distribution_id == self_id:
            continue
        held = set(_held_aliases(other))
        for alias in aliases:
            if alias in held:
                raise CNAMEAlreadyExists(alias, other.distribution_id)
    if not aliases:
        return
    cert = config.get("ViewerCertificate") or {}
    arn = cert.get("ACMCertificateArn") or ""
    if not arn:
        if cert.get("IAMCertificateId"):
            return
        raise InvalidViewerCertificate(aliases[0])
    try:
        bundle = acm_backends[backend.account_id]["us-east-1"].get_certificate(arn)
    except Exception:
        raise InvalidViewerCertificate(aliases[0])
    names = list(bundle.sans) + ([bundle.common_name] if bundle.common_name else [])
    for alias in aliases:
        if not _covers(names, alias):
            raise InvalidViewerCertificate(alias)


_create = cf.CloudFrontBackend.create_distribution_with_tags


def _create_checked(self, distribution_config, tags):
    _check(self, distribution_config, None)
    dist, location, etag = _create(self, distribution_config, tags)
    _mark_in_progress(dist)
    return dist, location, etag


cf.CloudFrontBackend.create_distribution_with_tags = _create_checked


# --- ETags: a new ETag on every change, and IfMatch must equal it -----------------------------
_update = cf.CloudFrontBackend.update_distribution


def _update_checked(self, dist_config, _id, if_match):
    dist = self.distributions.get(_id)
    if dist is not None and if_match and if_match != dist.etag:
        raise PreconditionFailed()
    if dist is not None and dist_config:
        _check(self, dist_config, _id)
        old = dist.distribution_config
        continuous = bool(getattr(old, "ContinuousDeploymentPolicyId", "")) or str(
            getattr(old, "Staging", "false")
        ).lower() == "true"
        if continuous and sorted(_aliases(dist_config)) != sorted(_held_aliases(dist)):
            raise IllegalUpdate(
                "One or more fields updated are not supported for continuous deployment."
            )
    dist, location, _ = _update(self, dist_config, _id, if_match)
    dist.etag = cf.random_id()
    _mark_in_progress(dist)
    return dist, location, dist.etag


cf.CloudFrontBackend.update_distribution = _update_checked


# --- Delete only a disabled, Deployed distribution, with the current ETag ---------------------
_delete = cf.CloudFrontBackend.delete_distribution


def _delete_checked(self, distribution_id, if_match):
    dist = self.distributions.get(distribution_id)
    if dist is not None and if_match:
        if if_match != dist.etag:
            raise PreconditionFailed()
        if dist.distribution_config.Enabled in (True, "true") or dist.status != "Deployed":
            raise DistributionNotDisabled()
    _delete(self, distribution_id, if_match)


cf.CloudFrontBackend.delete_distribution = _delete_checked


# --- An event source mapping says what its last poll found ----------------------------------
# (moto: LastProcessingResult is always null). moto never polls a stream for a mapping, so each
# poll it stands for found nothing new: "No records processed", as AWS reports for an idle
# mapping. replicate status reads it to tell "caught up" from "still replaying".
from moto.awslambda import models as awslambda  # noqa: E402

_mapping_configuration = awslambda.EventSourceMapping.get_configuration


def _mapping_configuration_with_result(self):
    out = _mapping_configuration(self)
    out["LastProcessingResult"] = "No records processed"
    return out


awslambda.EventSourceMapping.get_configuration = _mapping_configuration_with_result
