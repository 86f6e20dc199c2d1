"""Patches to moto 5.2.5 for replicate's central paths, beside patches.py (same rules: each small,
named after the AWS behaviour it restores, with a self-test in
__tests__/replicate/moto-patches.emulator.test.ts). Nothing here is reachable from the action's
own code."""
from moto.awslambda import models as awslambda
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import table as ddb_table


# --- Writes whose index key attribute has another type than the index declares fail ---------
# AWS (and dynalite) reject such a PutItem / BatchWriteItem with a ValidationException
# ("Type mismatch for Index Key ..."); moto stores the item silently, so a green table with a
# stricter index would look replicated while AWS refuses every such write.
_put_item = ddb_table.Table.put_item


def _declared_types(table):
    return {a["AttributeName"]: a["AttributeType"] for a in (table.attr or [])}


def _put_item_checking_index_types(self, item_attrs, *args, **kwargs):
    declared = _declared_types(self)
    for index in self.all_indexes():
        for key in index.schema:
            name = key["AttributeName"]
            value = item_attrs.get(name)
            if not isinstance(value, dict) or not value:
                continue
            actual = next(iter(value.keys()))
            expected = declared.get(name)
            if expected is not None and actual != expected:
                raise MockValidationException(
                    f"One or more parameter values were invalid: Type mismatch for Index Key {name} Expected: {expected} Actual: {actual} IndexName: {index.name}"
                )
    return _put_item(self, item_attrs, *args, **kwargs)


ddb_table.Table.put_item = _put_item_checking_index_types


# --- Event source mappings pass through Creating and Deleting -------------------------------
# AWS: a new mapping is Creating before it is Enabled; a deleted one "enters a Deleting state
# and might not be completely deleted for several seconds" (it is still listed and readable).
# moto: Enabled at once, gone at once. Here a new mapping reads Creating once (Get or List) after
# the create, and a deleted one reads Deleting once before it is gone, so stop/start/terminate wait on the
# emulator as they must on AWS.
_configuration = awslambda.EventSourceMapping.get_configuration


def _configuration_with_transition(self):
    out = _configuration(self)
    pending = getattr(self, "_bluegreen_pending", None)
    if pending is not None:
        out["State"] = pending
    return out


awslambda.EventSourceMapping.get_configuration = _configuration_with_transition


def _observe(esm):
    """One read of a mapping in transition: it moves on after it."""
    reads = getattr(esm, "_bluegreen_reads", 0)
    if getattr(esm, "_bluegreen_pending", None) is None:
        return esm
    if reads > 0:
        esm._bluegreen_reads = reads - 1
        return esm
    state = esm._bluegreen_pending
    esm._bluegreen_pending = None
    return None if state == "Deleting" else esm


_create = awslambda.LambdaBackend.create_event_source_mapping
_get = awslambda.LambdaBackend.get_event_source_mapping
_list = awslambda.LambdaBackend.list_event_source_mappings


def _create_creating(self, spec):
    esm = _create(self, spec)
    esm._bluegreen_pending = "Creating"
    esm._bluegreen_reads = 1
    return esm


def _get_observed(self, uuid):
    esm = _get(self, uuid)
    if esm is None:
        return None
    if _observe(esm) is None:
        # This read already finds it gone.
        self._event_source_mappings.pop(uuid, None)
        return None
    return esm


def _delete_deleting(self, uuid):
    esm = _get(self, uuid)
    if esm is None or getattr(esm, "_bluegreen_pending", None) == "Deleting":
        return esm
    esm._bluegreen_pending = "Deleting"
    esm._bluegreen_reads = 1
    return esm


def _list_observed(self, event_source_arn, function_name):
    found = []
    for esm in list(_list(self, event_source_arn, function_name)):
        if _observe(esm) is None:
            self._event_source_mappings.pop(esm.uuid, None)
        else:
            found.append(esm)
    return found


awslambda.LambdaBackend.create_event_source_mapping = _create_creating
awslambda.LambdaBackend.get_event_source_mapping = _get_observed
awslambda.LambdaBackend.delete_event_source_mapping = _delete_deleting
awslambda.LambdaBackend.list_event_source_mappings = _list_observed
