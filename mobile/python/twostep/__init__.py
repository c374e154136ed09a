"""twostep: TOTP/HOTP, otpauth:// key URIs and QR codes (Python bindings of twostep-mobile).

The bindings (``twostep.py``) and the native library are placed beside this file by
``cargo xtask bindings``.
"""

from .twostep import *  # noqa: F401,F403
