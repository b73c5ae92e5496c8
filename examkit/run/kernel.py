"""The named Jupyter kernel the runner uses: this interpreter, registered as ``examkit``."""

from __future__ import annotations

import sys

KERNEL_NAME = "examkit"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register this interpreter as kernel ``name`` (in ``sys.prefix``) unless it already is; return the name."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        if spec.argv and spec.argv[0] == sys.executable:
            return name
    except NoSuchKernel:
        pass
    install_kernel(name)
    return name


def install_kernel(name: str = KERNEL_NAME) -> str:
    from ipykernel.kernelspec import install  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    return install(kernel_name=name, display_name=f"Python ({name})", prefix=sys.prefix)
