"""Fault injection as data: a registry of named deviations from the contract (see :mod:`.registry`).

Each fault is whole in one function, in a module named after what it breaks; importing this package registers
them all. :class:`FaultInjector` (:mod:`.injector`) holds the active ones; the HTTP layer runs them at each
:class:`Stage` of a request without knowing any by name.
"""

from __future__ import annotations

# Importing each module of faults registers them (a stage runs its hooks in definition order, within a module).
from conformance.emulator.faults import auth, availability, echo, errors, identity, isolation, shape, validation, wire  # noqa: F401
from conformance.emulator.faults.auth import AUTH_FAILURES, CREDENTIAL_FORMS
from conformance.emulator.faults.injector import ActiveFault, FaultInjector
from conformance.emulator.faults.registry import FAULTS, Fault, FaultError, Inbound, Param, Reply, Stage, fault

__all__ = [
    "AUTH_FAILURES",
    "CREDENTIAL_FORMS",
    "FAULTS",
    "ActiveFault",
    "Fault",
    "FaultError",
    "FaultInjector",
    "Inbound",
    "Param",
    "Reply",
    "Stage",
    "fault",
]
