"""The Kubernetes validation no OpenAPI schema holds, as pure functions.

A mirror of the string and number checks the API server (and, for image references, the
kubelet) applies beyond the published schemas, read from the upstream source for Kubernetes 1.29
to 1.34. Each function is named after the upstream function it mirrors and returns that
function's error strings, worded as upstream words them (an empty list means valid), so a finding
can quote what ``kubectl apply`` or the pod's events would say.

Sources, cited per function:

- ``k8s.io/apimachinery`` ``pkg/util/validation/validation.go`` (tags v0.29.0 to v0.34.0, i.e.
  kubernetes-1.29.0 to kubernetes-1.34.0): the ``Is*`` name, label and number checks.
- ``k8s.io/kubernetes`` ``pkg/apis/core/validation/validation.go`` and
  ``pkg/apis/core/helper/helpers.go``: how pods use them (env vars, resources, tolerations).
- ``github.com/distribution/reference`` (v0.5.0 for Kubernetes 1.29 to 1.31, v0.6.0 for 1.32 to
  1.34, the versions kubernetes pins) with ``github.com/opencontainers/go-digest`` v1.0.0: the
  image-reference grammar the kubelet parses ``container.image`` with
  (``pkg/kubelet/images/image_manager.go`` -> ``pkg/util/parsers/parsers.go``).

Where the verdict depends on the Kubernetes version the function takes ``kubernetes_version``
(``"1.33"``, ``"v1.33.2"``); a version outside 1.29 to 1.34 raises ValueError rather than guess.

Go and Python differ in ways that matter here, handled throughout: Go's ``$`` does not match
before a trailing newline (every pattern is used with ``fullmatch``), Go's ``\\w`` is ASCII, and
Go's ``len`` counts UTF-8 bytes.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "ERR_DIGEST_INVALID_FORMAT",
    "ERR_DIGEST_INVALID_LENGTH",
    "ERR_DIGEST_UNSUPPORTED",
    "ERR_NAME_CONTAINS_UPPERCASE",
    "ERR_NAME_EMPTY",
    "ERR_NAME_TOO_LONG",
    "ERR_REFERENCE_INVALID_FORMAT",
    "IS_NEGATIVE_MSG",
    "IS_NOT_INTEGER_MSG",
    "KUBERNETES_VERSIONS",
    "LIMIT_REQUIRED_MSG",
    "ImageReference",
    "container_resource_name_errors",
    "empty_error",
    "env_var_value_from_errors",
    "field_error",
    "inclusive_range_error",
    "is_c_identifier",
    "is_config_map_key",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_dns1123_subdomain_with_underscore",
    "is_env_var_name",
    "is_env_var_name_strict",
    "is_extended_resource_name",
    "is_http_header_name",
    "is_huge_page_resource_name",
    "is_in_range",
    "is_integer_resource_name",
    "is_native_resource",
    "is_overcommit_allowed",
    "is_qualified_name",
    "is_relaxed_env_var_name",
    "is_valid_group_id",
    "is_valid_label_value",
    "is_valid_percent",
    "is_valid_port_name",
    "is_valid_port_num",
    "is_valid_user_id",
    "is_wildcard_dns1123_subdomain",
    "max_len_error",
    "parse_image_reference",
    "parse_normalized_named",
    "parse_reference",
    "regex_error",
    "request_limit_errors",
    "supported_values_detail",
    "toleration_errors",
    "validate_resource_quantity_value",
]

KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34")
_FIRST_MINOR, _LAST_MINOR = 29, 34
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?")


@functools.lru_cache(maxsize=64)
def _minor(kubernetes_version: str) -> int:
    """``"1.33"`` / ``"v1.33.2"`` -> 33; the range these mirrors were read for, or ValueError."""
    match = _VERSION.fullmatch(str(kubernetes_version).strip())
    if match is None or match[1] != "1":
        raise ValueError(f"Kubernetes version {kubernetes_version!r} is not of the form 1.33")
    minor = int(match[2])
    if not _FIRST_MINOR <= minor <= _LAST_MINOR:
        raise ValueError(
            f"Kubernetes {kubernetes_version}: these checks were read from Kubernetes "
            f"1.{_FIRST_MINOR} to 1.{_LAST_MINOR} only"
        )
    return minor


def mirrored_version(kubernetes_version: str) -> str:
    """The nearest version these mirrors were read for: an environment may state any ``1.N``
    (the schemas used are the nearest bundled too), the checks here are those of 1.29 to 1.34."""
    match = _VERSION.fullmatch(str(kubernetes_version).strip())
    minor = int(match[2]) if match is not None and match[1] == "1" else _LAST_MINOR
    return f"1.{min(max(minor, _FIRST_MINOR), _LAST_MINOR)}"


def _byte_len(value: str) -> int:
    # Go's len() counts UTF-8 bytes; isascii() is O(1) on CPython, so the common case is free.
    return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))


# ---------------------------------------------------------------------------------------------
# Message builders: apimachinery pkg/util/validation/validation.go


def max_len_error(length: int) -> str:
    """``MaxLenError``."""
    return f"must be no more than {length} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``RegexError``, with its double space after each example's comma (upstream's wording)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def empty_error() -> str:
    """``EmptyError``."""
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    """``InclusiveRangeError``."""
    return f"must be between {lo} and {hi}, inclusive"


# ---------------------------------------------------------------------------------------------
# Names and labels: apimachinery pkg/util/validation/validation.go (identical in v0.29.0 to
# v0.34.0 except where a docstring says otherwise)

_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
_QNAME_MAX = 63
_QNAME = re.compile(_QNAME_FMT)
_QNAME_NAME_ERR = "name part " + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
_QNAME_SLASHES_ERR = (
    "a qualified name "
    + regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
)

_LABEL_VALUE_FMT = "(" + _QNAME_FMT + ")?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MAX = 63
_LABEL_VALUE = re.compile(_LABEL_VALUE_FMT)
_LABEL_VALUE_ERR = regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character"
)
_DNS1123_LABEL_MAX = 63
_DNS1123_LABEL = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_LABEL_ERR = regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc")

_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + r"(\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MAX = 253
_DNS1123_SUBDOMAIN = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1123_SUBDOMAIN_ERR = regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com")

_UNDERSCORE_LABEL_FMT = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_UNDERSCORE_SUBDOMAIN_FMT = _UNDERSCORE_LABEL_FMT + r"(\." + _UNDERSCORE_LABEL_FMT + ")*"
_UNDERSCORE_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' "
    "or '.', and must start and end with an alphanumeric character"
)
_UNDERSCORE_SUBDOMAIN = re.compile(_UNDERSCORE_SUBDOMAIN_FMT)

_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_DNS1035_LABEL_MAX = 63
_DNS1035_LABEL = re.compile(_DNS1035_LABEL_FMT)
_DNS1035_LABEL_ERR = regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123")

_WILDCARD_FMT = r"\*\." + _DNS1123_SUBDOMAIN_FMT
_WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which "
    "must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric "
    "character"
)
_WILDCARD = re.compile(_WILDCARD_FMT)
_WILDCARD_ERR = regex_error(_WILDCARD_MSG, _WILDCARD_FMT, "*.example.com")

_C_IDENTIFIER_FMT = "[A-Za-z_][A-Za-z0-9_]*"
_C_IDENTIFIER = re.compile(_C_IDENTIFIER_FMT)
_C_IDENTIFIER_ERR = regex_error(
    "a valid C identifier must start with alphabetic character or '_', followed by a string of "
    "alphanumeric characters or '_'",
    _C_IDENTIFIER_FMT,
    "my_name",
    "MY_NAME",
    "MyName",
)


def is_qualified_name(value: str) -> list[str]:
    """``IsQualifiedName``: an optional DNS-subdomain prefix and ``/``, then a name of at most 63
    characters (label keys, annotation keys, resource names, appProtocol)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + msg for msg in is_dns1123_subdomain(prefix))
    else:
        return [_QNAME_SLASHES_ERR]
    if not name:
        errs.append("name part " + empty_error())
    elif _byte_len(name) > _QNAME_MAX:
        errs.append("name part " + max_len_error(_QNAME_MAX))
    if _QNAME.fullmatch(name) is None:
        errs.append(_QNAME_NAME_ERR)
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """``IsValidLabelValue``: empty, or a qualified name's name part (63 characters at most)."""
    errs: list[str] = []
    if _byte_len(value) > _LABEL_VALUE_MAX:
        errs.append(max_len_error(_LABEL_VALUE_MAX))
    if _LABEL_VALUE.fullmatch(value) is None:
        errs.append(_LABEL_VALUE_ERR)
    return errs


def is_dns1123_label(value: str) -> list[str]:
    """``IsDNS1123Label`` (container, volume, port and Service-port names)."""
    errs: list[str] = []
    if _byte_len(value) > _DNS1123_LABEL_MAX:
        errs.append(max_len_error(_DNS1123_LABEL_MAX))
    if _DNS1123_LABEL.fullmatch(value) is None:
        # A valid subdomain that is no valid label: the length is checked, so it is the dots.
        if _DNS1123_SUBDOMAIN.fullmatch(value) is not None:
            errs.append("must not contain dots")
        else:
            errs.append(_DNS1123_LABEL_ERR)
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """``IsDNS1123Subdomain`` (most object names: pods, ConfigMaps, Secrets, Deployments)."""
    errs: list[str] = []
    if _byte_len(value) > _DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(_DNS1123_SUBDOMAIN_MAX))
    if _DNS1123_SUBDOMAIN.fullmatch(value) is None:
        errs.append(_DNS1123_SUBDOMAIN_ERR)
    return errs


def is_dns1123_subdomain_with_underscore(value: str, kubernetes_version: str) -> list[str]:
    """``IsDNS1123SubdomainWithUnderscore`` (``dnsConfig.searches`` under the
    RelaxedDNSSearchValidation gate). New in Kubernetes 1.32 (ValueError before); 1.32 and 1.33
    quote the plain subdomain regex in the message, 1.34 the underscore one (apimachinery commit
    add5cf84 "Fix IsDNS1123SubdomainWithUnderscore to return correct error message")."""
    minor = _minor(kubernetes_version)
    if minor < 32:
        raise ValueError(f"IsDNS1123SubdomainWithUnderscore is new in 1.32, not in 1.{minor}")
    errs: list[str] = []
    if _byte_len(value) > _DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(_DNS1123_SUBDOMAIN_MAX))
    if _UNDERSCORE_SUBDOMAIN.fullmatch(value) is None:
        shown = _UNDERSCORE_SUBDOMAIN_FMT if minor >= 34 else _DNS1123_SUBDOMAIN_FMT
        errs.append(regex_error(_UNDERSCORE_SUBDOMAIN_MSG, shown, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """``IsDNS1035Label`` (Service names: they become DNS names and env-var prefixes)."""
    errs: list[str] = []
    if _byte_len(value) > _DNS1035_LABEL_MAX:
        errs.append(max_len_error(_DNS1035_LABEL_MAX))
    if _DNS1035_LABEL.fullmatch(value) is None:
        errs.append(_DNS1035_LABEL_ERR)
    return errs


def is_wildcard_dns1123_subdomain(value: str) -> list[str]:
    """``IsWildcardDNS1123Subdomain`` (``*.example.com``)."""
    errs: list[str] = []
    if _byte_len(value) > _DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(_DNS1123_SUBDOMAIN_MAX))
    if _WILDCARD.fullmatch(value) is None:
        errs.append(_WILDCARD_ERR)
    return errs


def is_c_identifier(value: str) -> list[str]:
    """``IsCIdentifier`` (format only, no length limit)."""
    return [] if _C_IDENTIFIER.fullmatch(value) is not None else [_C_IDENTIFIER_ERR]


# ---------------------------------------------------------------------------------------------
# Numbers and ports

_MAX_INT32 = 2**31 - 1
_PORT_NAME_CHARSET = re.compile("[-a-z0-9]+")
_PORT_NAME_LETTER = re.compile("[a-z]")
_PORT_NAME_MAX = 15


def is_valid_port_num(port: int) -> list[str]:
    """``IsValidPortNum``: 1 to 65535 (containerPort, hostPort, Service port, probe ports)."""
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_in_range(value: int, lo: int, hi: int) -> list[str]:
    """``IsInRange``."""
    return [] if lo <= value <= hi else [inclusive_range_error(lo, hi)]


def is_valid_group_id(gid: int) -> list[str]:
    """``IsValidGroupID``: 0 to 2^31-1 (runAsGroup, fsGroup)."""
    return [] if 0 <= gid <= _MAX_INT32 else [inclusive_range_error(0, _MAX_INT32)]


def is_valid_user_id(uid: int) -> list[str]:
    """``IsValidUserID``: 0 to 2^31-1 (runAsUser)."""
    return [] if 0 <= uid <= _MAX_INT32 else [inclusive_range_error(0, _MAX_INT32)]


def is_valid_port_name(port: str) -> list[str]:
    """``IsValidPortName`` (an IANA_SVC_NAME: container port names, named targetPorts): at most
    15 characters of ``[-a-z0-9]`` with a letter, no ``--``, no hyphen at either end."""
    errs: list[str] = []
    if _byte_len(port) > _PORT_NAME_MAX:
        errs.append(max_len_error(_PORT_NAME_MAX))
    if _PORT_NAME_CHARSET.fullmatch(port) is None:
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if _PORT_NAME_LETTER.search(port) is None:
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


# ---------------------------------------------------------------------------------------------
# Other formats

_PERCENT_FMT = "[0-9]+%"
_PERCENT = re.compile(_PERCENT_FMT)
_PERCENT_ERR = regex_error(
    "a valid percent string must be a numeric string followed by an ending '%'",
    _PERCENT_FMT,
    "1%",
    "93%",
)
_HEADER_FMT = "[-A-Za-z0-9]+"
_HEADER = re.compile(_HEADER_FMT)
_HEADER_ERR = regex_error(
    "a valid HTTP header must consist of alphanumeric characters or '-'",
    _HEADER_FMT,
    "X-Header-Name",
)
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY = re.compile(_CONFIG_KEY_FMT)
_CONFIG_KEY_ERR = regex_error(
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
    _CONFIG_KEY_FMT,
    "key.name",
    "KEY_NAME",
    "key-name",
)


def is_valid_percent(percent: str) -> list[str]:
    """``IsValidPercent`` (``maxUnavailable: 25%``)."""
    return [] if _PERCENT.fullmatch(percent) is not None else [_PERCENT_ERR]


def is_http_header_name(value: str) -> list[str]:
    """``IsHTTPHeaderName`` (httpGet probe headers)."""
    return [] if _HEADER.fullmatch(value) is not None else [_HEADER_ERR]


def _has_chdir_prefix(value: str) -> list[str]:
    # hasChDirPrefix: keys become file names in volumes, so "." and ".." are refused.
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_config_map_key(value: str) -> list[str]:
    """``IsConfigMapKey`` (ConfigMap and Secret data keys, configMapKeyRef/secretKeyRef keys)."""
    errs: list[str] = []
    if _byte_len(value) > _DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(_DNS1123_SUBDOMAIN_MAX))
    if _CONFIG_KEY.fullmatch(value) is None:
        errs.append(_CONFIG_KEY_ERR)
    errs.extend(_has_chdir_prefix(value))
    return errs


# ---------------------------------------------------------------------------------------------
# Environment variable names

_ENV_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV = re.compile(_ENV_FMT)
_ENV_ERR = regex_error(
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', "
    "or '.', and must not start with a digit",
    _ENV_FMT,
    "my.env-name",
    "MY_ENV.NAME",
    "MyEnvName1",
)
# Printable ASCII (0x20-0x7e) other than '=' (0x3d).
_RELAXED_ENV = re.compile("[ -<>-~]*")
_RELAXED_ENV_ERR = (
    "a valid environment variable name must consist only of printable ASCII characters other "
    "than '='"
)


def is_env_var_name_strict(value: str) -> list[str]:
    """``IsEnvVarName``: ``[-._a-zA-Z][-._a-zA-Z0-9]*``, and not ``.``, ``..`` or ``..*``."""
    errs = [] if _ENV.fullmatch(value) is not None else [_ENV_ERR]
    errs.extend(_has_chdir_prefix(value))
    return errs


def is_relaxed_env_var_name(value: str) -> list[str]:
    """``IsRelaxedEnvVarName`` (apimachinery v0.30.0 on): non-empty, printable ASCII but ``=``."""
    errs: list[str] = []
    if not value:
        errs.append("environment variable name " + empty_error())
    if _RELAXED_ENV.fullmatch(value) is None:
        errs.append(_RELAXED_ENV_ERR)
    return errs


def is_env_var_name(
    name: str, kubernetes_version: str, *, relaxed: bool | None = None
) -> list[str]:
    """The name check ``ValidateEnv`` (``env[].name``) and ``ValidateEnvFrom``
    (``envFrom[].prefix``) apply in ``pkg/apis/core/validation/validation.go``: the relaxed rule
    when ``PodValidationOptions.AllowRelaxedEnvironmentVariableValidation``, else the strict one.

    The option is the RelaxedEnvironmentVariableValidation gate (``pkg/api/pod/util.go``
    ``useRelaxedEnvironmentVariableValidation``; ``pkg/features/kube_features.go``): absent in
    1.29, alpha and off in 1.30 and 1.31, beta and on from 1.32, GA and locked on in 1.34. So by
    default names are strict up to 1.31 and relaxed from 1.32. ``relaxed`` states the gate when a
    cluster sets it (ValueError where it cannot be set: 1.29 has no gate, 1.34 locks it on).

    Not mirrored: on an update the relaxed rule also applies, gate off, to a name the old object
    already used. An empty ``env[].name`` is ``Required value`` in ValidateEnv, before this check.
    """
    minor = _minor(kubernetes_version)
    if relaxed is None:
        relaxed = minor >= 32
    elif relaxed and minor < 30:
        raise ValueError("Kubernetes 1.29 has no RelaxedEnvironmentVariableValidation gate")
    elif not relaxed and minor >= 34:
        raise ValueError("RelaxedEnvironmentVariableValidation is GA and locked on in 1.34")
    return is_relaxed_env_var_name(name) if relaxed else is_env_var_name_strict(name)


_ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")


def env_var_value_from_errors(
    value: str | None, value_from: Mapping[str, object] | None
) -> list[str]:
    """``validateEnvVarValueFrom``'s count of sources, for one ``env[]`` entry. Each message is
    ``field.Invalid(<env[i]>.valueFrom, "", msg)``, i.e. the API server says
    ``spec.containers[0].env[0].valueFrom: Invalid value: "": <msg>``. The sources' own contents
    (selectors, keys) are not checked here. Read at Kubernetes 1.33 (the 1.34 EnvFiles alpha
    adds ``fileKeyRef`` as a fifth source when its gate is on; not mirrored)."""
    if value_from is None:
        return []
    sources = sum(1 for key in _ENV_SOURCES if value_from.get(key) is not None)
    if sources == 0:
        return [
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
            "`secretKeyRef`"
        ]
    if value:
        return ["may not be specified when `value` is not empty"]
    if sources > 1:
        return ["may not have more than one field specified at a time"]
    return []


# ---------------------------------------------------------------------------------------------
# Resources: pkg/apis/core/helper/helpers.go and pkg/apis/core/validation/validation.go

_HUGE_PAGES_PREFIX = "hugepages-"
_QUOTA_HUGE_PAGES_PREFIX = "requests.hugepages-"
_DEFAULT_NAMESPACE_PREFIX = "kubernetes.io/"
_REQUESTS_PREFIX = "requests."
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
_INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)
IS_NEGATIVE_MSG = "must be greater than or equal to 0"
IS_NOT_INTEGER_MSG = "must be an integer"
LIMIT_REQUIRED_MSG = "Limit must be set for non overcommitable resources"


def is_huge_page_resource_name(name: str) -> bool:
    """helper ``IsHugePageResourceName``: ``hugepages-*``."""
    return name.startswith(_HUGE_PAGES_PREFIX)


def is_native_resource(name: str) -> bool:
    """helper ``IsNativeResource``: unprefixed, or anywhere in ``*kubernetes.io/``."""
    return "/" not in name or _DEFAULT_NAMESPACE_PREFIX in name


def is_extended_resource_name(name: str) -> bool:
    """helper ``IsExtendedResourceName`` (``nvidia.com/gpu``): not native, no ``requests.``
    prefix, and ``requests.<name>`` is a qualified name."""
    if is_native_resource(name) or name.startswith(_REQUESTS_PREFIX):
        return False
    return not is_qualified_name(_REQUESTS_PREFIX + name)


def is_overcommit_allowed(name: str) -> bool:
    """helper ``IsOvercommitAllowed``: native and not hugepages. Requests of any other resource
    (extended resources such as GPUs, hugepages) must equal their limits."""
    return is_native_resource(name) and not is_huge_page_resource_name(name)


def is_integer_resource_name(name: str) -> bool:
    """helper ``IsIntegerResourceName``: object counts, and every extended resource."""
    return name in _INTEGER_RESOURCES or is_extended_resource_name(name)


def _is_standard_resource_name(name: str) -> bool:
    return (
        name in _STANDARD_RESOURCES
        or name.startswith(_HUGE_PAGES_PREFIX)
        or name.startswith(_QUOTA_HUGE_PAGES_PREFIX)
    )


def container_resource_name_errors(name: str) -> list[str]:
    """``validateContainerResourceName`` (after ``validateResourceName``), for a key of
    ``resources.requests`` / ``resources.limits``; each message is
    ``field.Invalid(<resources>.<requests|limits>[<name>], <name>, msg)``."""
    # validateResourceName stops at a bad qualified name; the container checks run regardless.
    errs = is_qualified_name(name)
    if "/" not in name:
        if not errs and not _is_standard_resource_name(name):
            errs.append("must be a standard resource type or fully qualified")
        if name not in _STANDARD_CONTAINER_RESOURCES and not is_huge_page_resource_name(name):
            errs.append("must be a standard resource for containers")
    elif not is_native_resource(name) and not is_extended_resource_name(name):
        errs.append("doesn't follow extended resource name standard")
    return errs


def validate_resource_quantity_value(resource_name: str, amount: Fraction | int) -> list[str]:
    """``ValidateResourceQuantityValue``: not negative; whole for integer resources (extended
    resources such as ``nvidia.com/gpu``). Messages go on ``<resources>.<requests|limits>[name]``
    as Invalid. Upstream tests ``MilliValue() % 1000``, and MilliValue rounds up, so ``0.9999``
    passes as ``1`` there and here."""
    errs: list[str] = []
    if amount < 0:
        errs.append(IS_NEGATIVE_MSG)
    if is_integer_resource_name(resource_name) and math.ceil(Fraction(amount) * 1000) % 1000:
        errs.append(IS_NOT_INTEGER_MSG)
    return errs


def request_limit_errors(
    resource_name: str, request: Fraction | int, limit: Fraction | int | None, limit_text: str = ""
) -> list[str]:
    """``validateResourceRequirements``' request-against-limit check for one requested resource.

    With a limit: ``field.Invalid(<resources>.requests, <request>, msg)`` (the path has no key),
    ``must be equal to <name> limit of <limit>`` when the resource may not overcommit, else
    ``must be less than or equal to <name> limit of <limit>``. Upstream prints the limit as
    ``Quantity.String()``, its canonical form: pass that as ``limit_text``. Without a limit, a
    resource that may not overcommit gets ``field.Required(<resources>.limits,``
    LIMIT_REQUIRED_MSG``)``."""
    overcommit = is_overcommit_allowed(resource_name)
    if limit is None:
        return [] if overcommit else [LIMIT_REQUIRED_MSG]
    if request != limit and not overcommit:
        return [f"must be equal to {resource_name} limit of {limit_text}"]
    if request > limit:
        return [f"must be less than or equal to {resource_name} limit of {limit_text}"]
    return []


# ---------------------------------------------------------------------------------------------
# Tolerations: ValidateTolerations in pkg/apis/core/validation/validation.go

_TOLERATION_OPERATORS = ("Equal", "Exists")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def toleration_errors(
    key: str, operator: str, value: str, effect: str, has_toleration_seconds: bool = False
) -> list[tuple[str, str]]:
    """``ValidateTolerations`` for one toleration, as ``(child field, error body)`` pairs: the
    API server prints ``<tolerations[i]>.<child>: <body>``. Note upstream reports a bad
    ``value`` on the ``operator`` field."""
    errs: list[tuple[str, str]] = []
    if key:
        errs.extend(("key", field_error("Invalid", msg, key)) for msg in is_qualified_name(key))
    if not key and operator != "Exists":
        errs.append(
            (
                "operator",
                field_error(
                    "Invalid",
                    "operator must be Exists when `key` is empty, which means "
                    '"match all values and all keys"',
                    operator,
                ),
            )
        )
    if has_toleration_seconds and effect != "NoExecute":
        errs.append(
            (
                "effect",
                field_error(
                    "Invalid", "effect must be 'NoExecute' when `tolerationSeconds` is set", effect
                ),
            )
        )
    if operator in ("Equal", ""):
        label_errs = is_valid_label_value(value)
        if label_errs:
            errs.append(("operator", field_error("Invalid", ";".join(label_errs), value)))
    elif operator == "Exists":
        if value:
            errs.append(
                (
                    "operator",
                    field_error(
                        "Invalid", "value must be empty when `operator` is 'Exists'", value
                    ),
                )
            )
    else:
        detail = supported_values_detail(_TOLERATION_OPERATORS)
        errs.append(("operator", field_error("NotSupported", detail, operator)))
    if effect and effect not in _TAINT_EFFECTS:
        detail = supported_values_detail(_TAINT_EFFECTS)
        errs.append(("effect", field_error("NotSupported", detail, effect)))
    return errs


# ---------------------------------------------------------------------------------------------
# field.Error rendering: apimachinery pkg/util/validation/field/errors.go

_ERROR_TYPES = {
    "NotFound": "Not found",
    "Required": "Required value",
    "Duplicate": "Duplicate value",
    "Invalid": "Invalid value",
    "NotSupported": "Unsupported value",
    "Forbidden": "Forbidden",
    "TooLong": "Too long",
    "TooMany": "Too many",
}
# The constructors whose message shows no value (ErrorBody's first case).
_VALUELESS = frozenset({"Required", "Forbidden", "TooLong"})
_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t"}
_GO_ESCAPES |= {"\v": r"\v", "\\": "\\\\", '"': '\\"'}


def _go_quote(value: str) -> str:
    """Go's ``%q`` (strconv.Quote). Python's isprintable and Go's unicode.IsPrint agree: letters,
    marks, numbers, punctuation, symbols and the ASCII space."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    out = ['"']
    for ch in value:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def supported_values_detail(values: Iterable[str]) -> str:
    """``field.NotSupported``'s detail: ``supported values: "a", "b"`` (in the given order;
    upstream usually passes a sorted set)."""
    return "supported values: " + ", ".join(_go_quote(v) for v in values)


def field_error(
    kind: str, detail: str = "", value: str | int | bool | None = None, field: str = ""
) -> str:
    """A ``field.Error`` as the API server prints it: ``<field>: <ErrorBody>`` (just the body
    when ``field`` is empty). ``kind`` is the constructor's name (``Invalid``, ``Required``,
    ``Duplicate``, ``NotFound``, ``NotSupported``, ``Forbidden``, ``TooLong``, ``TooMany``);
    a string value is quoted as Go's ``%q``, numbers and booleans printed bare. Values of other
    types (structs, quantities) render differently across versions (``%#v`` up to 1.33, JSON in
    1.34) and are not supported."""
    if kind not in _ERROR_TYPES:
        raise ValueError(f"unknown field.Error constructor {kind!r}")
    body = _ERROR_TYPES[kind]
    if kind not in _VALUELESS and value is not None:
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = _go_quote(value)
        body = f"{body}: {shown}"
    if detail:
        body = f"{body}: {detail}"
    return f"{field}: {body}" if field else body


# ---------------------------------------------------------------------------------------------
# Image references: github.com/distribution/reference (regexp.go, reference.go, normalize.go)
# and github.com/opencontainers/go-digest v1.0.0, as the kubelet uses them.

_ALNUM = "[a-z0-9]+"
_SEPARATOR = "(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_OPTIONAL_PORT = "(?::[0-9]+)?"
_TAG_PAT = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}"  # Go's [\w][\w.-]{0,127}; Go's \w is ASCII
_DIGEST_PAT = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = (
    "(?:" + _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + ")*|" + _IPV6 + ")" + _OPTIONAL_PORT
)
_PATH_COMPONENT = _ALNUM + "(?:" + _SEPARATOR + _ALNUM + ")*"
_REMOTE_NAME = _PATH_COMPONENT + "(?:/" + _PATH_COMPONENT + ")*"
_NAME_PAT = "(?:" + _DOMAIN_AND_PORT + "/)?" + _REMOTE_NAME
_REFERENCE = re.compile("(" + _NAME_PAT + ")(?::(" + _TAG_PAT + "))?(?:@(" + _DIGEST_PAT + "))?")
_ANCHORED_NAME = re.compile("(?:(" + _DOMAIN_AND_PORT + ")/)?(" + _REMOTE_NAME + ")")
_IDENTIFIER = re.compile("[a-f0-9]{64}")
# go-digest's DigestRegexpAnchored, and the hex lengths of the algorithms the kubelet links in
# (pkg/util/parsers imports crypto/sha256 and crypto/sha512).
_DIGEST_ANCHORED = re.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile("[a-f0-9]+")
_NAME_TOTAL_LENGTH_MAX = 255
_DEFAULT_DOMAIN = "docker.io"
_LEGACY_DEFAULT_DOMAIN = "index.docker.io"
_OFFICIAL_REPO_PREFIX = "library/"

ERR_REFERENCE_INVALID_FORMAT = "invalid reference format"
ERR_NAME_CONTAINS_UPPERCASE = "repository name must be lowercase"
ERR_NAME_EMPTY = "repository name must have at least one component"
ERR_NAME_TOO_LONG = f"repository name must not be more than {_NAME_TOTAL_LENGTH_MAX} characters"
ERR_DIGEST_INVALID_FORMAT = "invalid checksum digest format"
ERR_DIGEST_INVALID_LENGTH = "invalid checksum digest length"
ERR_DIGEST_UNSUPPORTED = "unsupported digest algorithm"


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed reference: ``domain`` (empty when there is none), ``path`` (the remote name),
    ``tag`` and ``digest`` (empty when absent)."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        """``Named.Name()``: the repository, domain included."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return self.name + tag + digest


def _go_lower(value: str) -> str:
    # strings.ToLower: one difference from str.lower() can reach ASCII, U+0130 -> "i" in Go.
    if value.isascii():
        return value.lower()
    return value.replace("\u0130", "i").lower()


def _digest_error(digest: str) -> str | None:
    # go-digest Digest.Validate (v1.0.0).
    algorithm, sep, encoded = digest.partition(":")
    if not algorithm or not sep or not encoded:
        return ERR_DIGEST_INVALID_FORMAT
    length = _DIGEST_HEX_LENGTH.get(algorithm)
    if length is None:
        if _DIGEST_ANCHORED.fullmatch(digest) is None:
            return ERR_DIGEST_INVALID_FORMAT
        return ERR_DIGEST_UNSUPPORTED
    if len(encoded) != length:
        return ERR_DIGEST_INVALID_LENGTH
    return None if _LOWER_HEX.fullmatch(encoded) else ERR_DIGEST_INVALID_FORMAT


def parse_reference(s: str, kubernetes_version: str) -> tuple[ImageReference | None, list[str]]:
    """``reference.Parse``: the grammar without normalization (no ``docker.io/library/``).

    The 255-character limit changed with the library: v0.5.0 (Kubernetes 1.29 to 1.31) counts the
    whole name, domain included; v0.6.0 (1.32 to 1.34) only the path after the domain."""
    match = _REFERENCE.fullmatch(s)
    if match is None:
        if not s:
            return None, [ERR_NAME_EMPTY]
        if _REFERENCE.fullmatch(_go_lower(s)) is not None:
            return None, [ERR_NAME_CONTAINS_UPPERCASE]
        return None, [ERR_REFERENCE_INVALID_FORMAT]
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    whole_name_limit = _minor(kubernetes_version) <= 31
    if whole_name_limit and len(name) > _NAME_TOTAL_LENGTH_MAX:
        return None, [ERR_NAME_TOO_LONG]
    name_match = _ANCHORED_NAME.fullmatch(name)
    domain, path = (name_match.group(1) or "", name_match.group(2)) if name_match else ("", name)
    if not whole_name_limit and len(path) > _NAME_TOTAL_LENGTH_MAX:
        return None, [ERR_NAME_TOO_LONG]
    if digest:
        error = _digest_error(digest)
        if error is not None:
            return None, [error]
    return ImageReference(domain, path, tag, digest), []


def _split_docker_domain(name: str) -> tuple[str, str]:
    # splitDockerDomain (the v0.6.0 rewrite; v0.5.0's one-line condition decides the same).
    maybe_domain, sep, maybe_path = name.partition("/")
    if not sep:
        return _DEFAULT_DOMAIN, _OFFICIAL_REPO_PREFIX + name
    if maybe_domain == "localhost":
        domain, path = maybe_domain, maybe_path
    elif maybe_domain == _LEGACY_DEFAULT_DOMAIN:
        domain, path = _DEFAULT_DOMAIN, maybe_path
    elif "." in maybe_domain or ":" in maybe_domain or _go_lower(maybe_domain) != maybe_domain:
        domain, path = maybe_domain, maybe_path
    else:
        domain, path = _DEFAULT_DOMAIN, name
    if domain == _DEFAULT_DOMAIN and "/" not in path:
        path = _OFFICIAL_REPO_PREFIX + path
    return domain, path


def parse_normalized_named(
    s: str, kubernetes_version: str
) -> tuple[ImageReference | None, list[str]]:
    """``reference.ParseNormalizedNamed``, the parse the kubelet applies to ``container.image``:
    ``busybox`` is ``docker.io/library/busybox``; 64 hex digits alone are refused as an image ID;
    the repository must be lowercase. The reference keeps tag and digest as written (the kubelet
    adds ``:latest`` only when both are absent)."""
    if _IDENTIFIER.fullmatch(s) is not None:
        return None, [f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"]
    domain, remainder = _split_docker_domain(s)
    remote = remainder.partition(":")[0]
    if _go_lower(remote) != remote:
        return None, [f"invalid reference format: repository name ({remote}) must be lowercase"]
    return parse_reference(domain + "/" + remainder, kubernetes_version)


def parse_image_reference(image: str, kubernetes_version: str) -> list[str]:
    """What the kubelet refuses as ``InvalidImageName``: ``EnsureImageExists`` in
    ``pkg/kubelet/images/image_manager.go`` calls ``applyDefaultImageTag`` ->
    ``parsers.ParseImageName`` (``pkg/util/parsers/parsers.go``) ->
    ``reference.ParseNormalizedNamed``; on an error the container waits with reason
    ``InvalidImageName`` and this message (event reason ``InspectFailed``), and is never pulled.

    The API server does not parse the image: it only requires it non-empty (``Required value``)
    and, on pods, without leading or trailing whitespace. An empty image is therefore reported by
    the API server, not here."""
    _, errs = parse_normalized_named(image, kubernetes_version)
    if not errs:
        return []
    quoted = _go_quote(image)
    return [
        f"Failed to apply default image tag {quoted}: couldn't parse image name {quoted}: {errs[0]}"
    ]
