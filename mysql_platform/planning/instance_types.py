"""The CPU architectures of the EC2 instance families the program may run the host on (vendored).

terraform-provider-aws replaces an instance whose type changes to one that shares no
architecture with the old one: ``resourceInstance``'s CustomizeDiff has
``customdiff.ForceNewIf(names.AttrInstanceType, ...)``, which looks both types up with
DescribeInstanceTypes and forces a new instance unless
``hasCommonElement(it1.ProcessorInfo.SupportedArchitectures, it2.ProcessorInfo.SupportedArchitectures)``
(internal/service/ec2/ec2_instance.go, v6). The plan has no account to ask, so this table holds
``ProcessorInfo.SupportedArchitectures`` per family, from the AWS "Amazon EC2 instance types"
specifications (docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, "Processor" and
"Architecture"), family by family: the Graviton ones arm64, the Intel and AMD ones x86_64, the
older t2 32-bit capable too. The mock engine's
DescribeInstanceTypes answers (:data:`mysql_platform.planning.mock_engine.INSTANCE_TYPES`) agree with
it (a test checks).
"""

from __future__ import annotations

X86 = frozenset({"x86_64"})
X86_I386 = frozenset({"i386", "x86_64"})
ARM = frozenset({"arm64"})

ARCHITECTURES: dict[str, frozenset[str]] = {
    "t2": X86_I386,
    "t3": X86,
    "t3a": X86,
    "m5": X86,
    "m5a": X86,
    "m6i": X86,
    "m7i": X86,
    "c5": X86,
    "c6i": X86,
    "r5": X86,
    "r6i": X86,
    "a1": ARM,
    "t4g": ARM,
    "m6g": ARM,
    "m7g": ARM,
    "c6g": ARM,
    "c7g": ARM,
    "r6g": ARM,
    "r7g": ARM,
}


def architectures(instance_type: str) -> frozenset[str] | None:
    """The architectures of a type such as ``t3.micro``; None for a family the table lacks."""
    family = instance_type.split(".", 1)[0]
    return ARCHITECTURES.get(family)
