"""AWS event sources under moto invoke the invoker's functions, as AWS does (issue 14).

While an invoker is routed (``LambdaInvoker.patch_boto3()``, the ``lambda_invoker`` fixture) and
``moto.mock_aws`` is active, moto's services reach the invoker where they would reach moto's Lambda:

- ``s3``: bucket notifications with ``LambdaFunctionConfigurations`` (SRC-1);
- ``sns``: topic subscriptions with the ``lambda`` protocol (SRC-2);
- ``eventbridge``: rules with a Lambda target, input settings and the target's DLQ (SRC-3);
- ``sqs``: event source mappings (``create_event_source_mapping`` ... through the routed Lambda client)
  and the poller Lambda runs for each, in ``LambdaService.pollers`` (ESM-1..ESM-8);
- ``permissions``: ``add_permission``/``remove_permission``/``get_policy``, which wiring code calls first
  (recorded, not enforced).

Each is a :class:`~.hooks.Hook` on a moto function, applied for the duration of the routed block and
restored exactly after it (``hooks.hooked``): outside it moto behaves as it always does.  A function is
found by the name in the ARN the source was configured with, so a function created in moto under the
same name maps to the registered handler.
"""

from __future__ import annotations

from . import eventbridge, permissions, s3, sns  # noqa: F401  (each declares its hooks or operations)
from .hooks import hooked, installed_hooks
from .sqs import SqsPoller, release

__all__ = ["SqsPoller", "hooked", "installed_hooks", "release"]
