"""A model's storageUri uses a scheme KServe's storage initializer can download.

Supported prefixes from KServe (SupportedStorageURIPrefixList): gs, s3, pvc, file, https,
http, hdfs, webhdfs, oci (and oci+native, oci+fetch), hf. Anything else leaves the
storage-initializer container failing in a crash loop. Plain http is refused too: model
weights must not travel unauthenticated and unencrypted.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "storage-uri",
    Severity.ERROR,
    "storageUri uses a scheme KServe can download",
    "use s3://, gs://, pvc://, hf://, oci:// or https://",
)
EXAMPLES = {
    "fail": {"catalog/models/llama.yaml": MODEL + "storageUri: ftp://models.example.com/llama\n"},
    "pass": {"catalog/models/llama.yaml": MODEL + "storageUri: s3://models/llama-3.1-8b\n"},
}

SCHEMES = {
    "gs",
    "s3",
    "pvc",
    "file",
    "https",
    "hdfs",
    "webhdfs",
    "oci",
    "oci+native",
    "oci+fetch",
    "hf",
}


def check(ctx: Context) -> Iterator[Finding]:
    for model in sorted(ctx.catalog.models.values(), key=lambda m: m.name):
        uri = model.data.get("storageUri")
        if uri is None:
            continue
        try:
            parts = urlsplit(uri)
        except ValueError as exc:  # "https://[x": an unclosed IPv6 host, among others
            yield INFO.at(
                model.source, ("storageUri",), f"storageUri '{uri}' is not a valid URI ({exc})"
            )
            continue
        if parts.scheme not in SCHEMES:
            shown = f"scheme '{parts.scheme}'" if parts.scheme else "no scheme"
            yield INFO.at(model.source, ("storageUri",), f"storageUri '{uri}' has {shown}")
        elif parts.scheme not in ("pvc", "file") and not (parts.netloc or parts.path.strip("/")):
            yield INFO.at(
                model.source, ("storageUri",), f"storageUri '{uri}' names no bucket, host or path"
            )
        elif ".." in parts.path.split("/"):
            yield INFO.at(model.source, ("storageUri",), f"storageUri '{uri}' contains '..'")
