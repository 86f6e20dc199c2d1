"""Patches to moto 5.2.5 that make it closer to AWS where the action's central paths depend on
it. Each patch is small, named after the AWS behaviour it restores, and only changes what moto
gets wrong. Nothing here is reachable from the action's own code."""
