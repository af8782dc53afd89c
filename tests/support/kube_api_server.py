"""In-process Kubernetes API server emulator for tests: HTTPS, bearer auth, discovery, lists, faults.

Usage::

    with KubeApiServer(objects=[make_namespace("prod")], token="t") as server:
        server.write_kubeconfig(tmp_path / "kubeconfig")
        server.inject(Fault(status=500), verb="list", resource="pods")
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hmac
import json
import re
import socket
import ssl
import struct
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

JSON = dict[str, Any]

ANY = "*"
"""Wildcard for the verb, resource and namespace of a request match."""

DEFAULT_USER = "system:serviceaccount:segproof:collector"
DEFAULT_GROUPS = ("system:serviceaccounts", "system:serviceaccounts:segproof", "system:authenticated")


# --- Resource types ---


@dataclass(frozen=True)
class ResourceType:
    """One API resource: group/version, plural name, kind, scope and the subresources discovery lists."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    builtin: bool = False
    verbs: tuple[str, ...] = ("get", "list", "watch")
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """Return the apiVersion of objects of this resource ("v1" or "group/version")."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def discovery(self) -> JSON:
        """Return this resource's APIResource entry for discovery documents."""
        return {
            "name": self.plural,
            "singularName": self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }

    def subresource_discovery(self) -> list[JSON]:
        """Return the APIResource entries of the subresources (`plural/status`), as a CRD's discovery lists them."""
        return [
            {
                "name": f"{self.plural}/{name}",
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }
            for name in self.subresources
        ]


NAMESPACES = ResourceType("", "v1", "namespaces", "Namespace", namespaced=False, builtin=True)
PODS = ResourceType("", "v1", "pods", "Pod", builtin=True)
SERVICES = ResourceType("", "v1", "services", "Service", builtin=True)
NETWORK_POLICIES = ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", builtin=True)
NODES = ResourceType("", "v1", "nodes", "Node", namespaced=False, builtin=True)
SELF_SUBJECT_REVIEWS = ResourceType(
    "authentication.k8s.io",
    "v1",
    "selfsubjectreviews",
    "SelfSubjectReview",
    namespaced=False,
    builtin=True,
    verbs=("create",),
)
BUILTIN_RESOURCES = (NAMESPACES, NODES, PODS, SERVICES, NETWORK_POLICIES)

ADMIN_NETWORK_POLICIES = ResourceType(
    "policy.networking.k8s.io",
    "v1alpha1",
    "adminnetworkpolicies",
    "AdminNetworkPolicy",
    namespaced=False,
    subresources=("status",),
)
BASELINE_ADMIN_NETWORK_POLICIES = ResourceType(
    "policy.networking.k8s.io",
    "v1alpha1",
    "baselineadminnetworkpolicies",
    "BaselineAdminNetworkPolicy",
    namespaced=False,
    subresources=("status",),
)
CLUSTER_NETWORK_POLICIES = ResourceType(
    "policy.networking.k8s.io",
    "v1alpha2",
    "clusternetworkpolicies",
    "ClusterNetworkPolicy",
    namespaced=False,
    subresources=("status",),
)
CALICO_NETWORK_POLICIES = ResourceType("crd.projectcalico.org", "v1", "networkpolicies", "NetworkPolicy")
CALICO_GLOBAL_NETWORK_POLICIES = ResourceType(
    "crd.projectcalico.org", "v1", "globalnetworkpolicies", "GlobalNetworkPolicy", namespaced=False
)
CALICO_TIERS = ResourceType("crd.projectcalico.org", "v1", "tiers", "Tier", namespaced=False)
CALICO_NETWORK_SETS = ResourceType("crd.projectcalico.org", "v1", "networksets", "NetworkSet")
CALICO_GLOBAL_NETWORK_SETS = ResourceType(
    "crd.projectcalico.org", "v1", "globalnetworksets", "GlobalNetworkSet", namespaced=False
)
CALICO_CRD_RESOURCES = (CALICO_TIERS, CALICO_NETWORK_POLICIES, CALICO_GLOBAL_NETWORK_POLICIES, CALICO_NETWORK_SETS,
                        CALICO_GLOBAL_NETWORK_SETS)
"""Calico's kinds as stored in CRDs, served without Calico's API server."""
CALICO_API_RESOURCES = tuple(replace(rt, group="projectcalico.org", version="v3")
                             for rt in CALICO_CRD_RESOURCES)
"""The same kinds as Calico's API server serves them."""
SERVICE_ACCOUNTS = ResourceType("", "v1", "serviceaccounts", "ServiceAccount", builtin=True)
CILIUM_NETWORK_POLICIES = ResourceType("cilium.io", "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy")
CILIUM_CLUSTERWIDE_NETWORK_POLICIES = ResourceType(
    "cilium.io", "v2", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", namespaced=False
)


def make_namespace(name: str, labels: Mapping[str, str] | None = None) -> JSON:
    """Build a Namespace object."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}}


def make_pod(namespace: str, name: str, labels: Mapping[str, str] | None = None) -> JSON:
    """Build a minimal running Pod object with one container."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": namespace, "name": name, "labels": dict(labels or {})},
        "spec": {"containers": [{"name": "main", "image": "registry.example/app:1"}]},
        "status": {"phase": "Running"},
    }


def make_service(namespace: str, name: str, selector: Mapping[str, str] | None = None) -> JSON:
    """Build a ClusterIP Service object."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"selector": dict(selector or {}), "ports": [{"port": 80, "protocol": "TCP"}]},
    }


def make_network_policy(namespace: str, name: str, pod_selector: Mapping[str, str] | None = None) -> JSON:
    """Build a deny-all-ingress NetworkPolicy object for the selected pods."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"podSelector": {"matchLabels": dict(pod_selector or {})}, "policyTypes": ["Ingress"]},
    }


# --- Label selectors ---

LabelPredicate = Callable[[Mapping[str, str]], bool]

_KEY = r"(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"({_KEY})\s+(in|notin)\s*\(([^()]*)\)")
_EQUALITY_RE = re.compile(rf"({_KEY})\s*(==|!=|=)\s*({_VALUE})")
_EXISTS_RE = re.compile(rf"(!?)\s*({_KEY})")
_VALUE_RE = re.compile(_VALUE)


def parse_label_selector(text: str) -> LabelPredicate:
    """Parse a label selector (=, ==, !=, in, notin, key, !key); raise ValueError when malformed."""
    requirements = [_parse_requirement(part) for part in _split_requirements(text)] if text.strip() else []
    return lambda labels: all(requirement(labels) for requirement in requirements)


def _split_requirements(text: str) -> list[str]:
    parts, current, depth = [], "", 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth not in (0, 1):
            raise ValueError(f"unable to parse requirement: unbalanced parentheses in {text!r}")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if depth:
        raise ValueError(f"unable to parse requirement: unbalanced parentheses in {text!r}")
    return [*parts, current.strip()]


def _parse_requirement(part: str) -> LabelPredicate:
    if match := _SET_RE.fullmatch(part):
        key, operator, raw_values = match.groups()
        values = {value.strip() for value in raw_values.split(",")}
        if not raw_values.strip() or not all(_VALUE_RE.fullmatch(value) for value in values):
            raise ValueError(f"unable to parse requirement: invalid values in {part!r}")
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _EQUALITY_RE.fullmatch(part):
        key, operator, value = match.groups()
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS_RE.fullmatch(part):
        negated, key = match.groups()
        return lambda labels: (key in labels) != bool(negated)
    raise ValueError(f"unable to parse requirement: {part!r}")


# --- Object store ---


def _timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ObjectStore:
    """Thread-safe in-memory object store with a cluster-wide resourceVersion counter."""

    def __init__(self, resource_types: Iterable[ResourceType]) -> None:
        self._types = {(rt.api_version, rt.kind): rt for rt in resource_types}
        self._objects: dict[ResourceType, dict[tuple[str, str], JSON]] = {
            rt: {} for rt in self._types.values()
        }
        self._lock = threading.Lock()
        self._resource_version = 1000

    @property
    def resource_version(self) -> int:
        """Return the current store-wide resourceVersion."""
        with self._lock:
            return self._resource_version

    def resource_type_of(self, obj: Mapping[str, Any]) -> ResourceType:
        """Return the resource an object is filed under, from its apiVersion and kind."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        try:
            return self._types[(api_version, kind)]
        except KeyError:
            raise KeyError(
                f"no resource is configured for apiVersion={api_version!r} kind={kind!r}"
            ) from None

    def load(self, objects: Iterable[Mapping[str, Any]]) -> None:
        """File every object (Namespace, Pod, Service, NetworkPolicy, custom kinds) under its resource."""
        for obj in objects:
            self.put(obj)

    def put(self, obj: Mapping[str, Any]) -> JSON:
        """Add or replace an object, stamping uid, creationTimestamp and resourceVersion; return a copy."""
        resource = self.resource_type_of(obj)
        stored = copy.deepcopy(dict(obj))
        meta = stored.setdefault("metadata", {})
        if resource.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        key = (meta.get("namespace", ""), meta["name"])
        with self._lock:
            previous = self._objects[resource].get(key, {}).get("metadata", {})
            self._resource_version += 1
            meta.setdefault("uid", previous.get("uid") or str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", previous.get("creationTimestamp") or _timestamp())
            meta["resourceVersion"] = str(self._resource_version)
            self._objects[resource][key] = stored
        return copy.deepcopy(stored)

    def delete(self, resource: ResourceType, name: str, namespace: str | None = None) -> bool:
        """Delete an object; return whether it existed."""
        with self._lock:
            if self._objects[resource].pop((namespace or "", name), None) is None:
                return False
            self._resource_version += 1
            return True

    def get(self, resource: ResourceType, name: str, namespace: str | None = None) -> JSON | None:
        """Return one stored object, or None."""
        with self._lock:
            return self._objects[resource].get((namespace or "", name))

    def snapshot(self, resource: ResourceType, namespace: str | None = None) -> tuple[int, list[JSON]]:
        """Return the resourceVersion and the objects (in one namespace, or all) sorted by namespace/name."""
        with self._lock:
            keys = sorted(key for key in self._objects[resource] if namespace is None or key[0] == namespace)
            return self._resource_version, [self._objects[resource][key] for key in keys]


def _object_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


# --- Continue tokens: base64 JSON of the list's resourceVersion and next key, like the real server's ---


def encode_continue(resource_version: int, last_key: tuple[str, str]) -> str:
    """Encode an opaque continue token resuming after `last_key` at `resource_version`."""
    state = {"v": "meta.k8s.io/v1", "rv": resource_version, "start": "/".join(last_key) + "\x00"}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    """Decode a continue token into (resourceVersion, last key); raise ValueError when invalid."""
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        namespace, _, name = state["start"].rstrip("\x00").partition("/")
        return int(state["rv"]), (namespace, name)
    except (
        binascii.Error,
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        AttributeError,
    ) as err:
        raise ValueError(f"continue key is not valid: {err}") from None


# --- TLS ---


class CertificateAuthority:
    """Throwaway EC P-256 certificate authority able to issue one-day server certificates."""

    def __init__(self, common_name: str = "segproof-test-ca") -> None:
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = self._builder(self._name, self._key.public_key(), ca=True).sign(
            self._key, hashes.SHA256()
        )

    @property
    def pem(self) -> bytes:
        """Return the CA certificate in PEM form."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue_server_certificate(self, ip: str = "127.0.0.1", dns: str = "localhost") -> tuple[bytes, bytes]:
        """Return (certificate PEM, private key PEM) for a server reachable at `ip` and `dns`."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)])
        names = [x509.IPAddress(IPv4Address(ip)), x509.DNSName(dns)]
        certificate = (
            self._builder(subject, key.public_key(), ca=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem

    def _builder(
        self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, *, ca: bool
    ) -> x509.CertificateBuilder:
        now = datetime.now(timezone.utc)
        usage = x509.KeyUsage(
            digital_signature=not ca,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
        )


def unrelated_ca_pem() -> bytes:
    """Return the PEM of a fresh CA that did not sign any emulator's certificate (to provoke TLS failures)."""
    return CertificateAuthority("unrelated-ca").pem


def _server_ssl_context(authority: CertificateAuthority) -> ssl.SSLContext:
    cert_pem, key_pem = authority.issue_server_certificate()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context


# --- Requests, responses and faults ---


@dataclass(frozen=True)
class ApiRequest:
    """A request described in RBAC terms; `resource` is "" for non-resource URLs such as /version."""

    method: str
    path: str
    query: Mapping[str, str]
    verb: str
    group: str = ""
    resource: str = ""
    namespace: str | None = None
    name: str | None = None
    version: str = ""


@dataclass(frozen=True)
class LoggedRequest(ApiRequest):
    """A served request with the status returned (0 when the connection was dropped)."""

    status: int = 0


@dataclass(frozen=True)
class Fault:
    """A scripted misbehaviour for the next `times` matching requests.

    After `delay` seconds: an error `status`, a dropped connection (`close`), no answer until the server stops
    (`hang`), or a raw `body` of `content_type` (status 200 unless given); `endless` answers a list with its
    first page and a continue token, the `"same"` each time or a `"fresh"` one; `trickle` sends the body one
    byte every `trickle` seconds.
    """

    status: int | None = None
    message: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    close: bool = False
    hang: bool = False
    body: bytes | None = None
    content_type: str = "application/json"
    endless: Literal["same", "fresh"] | None = None
    trickle: float = 0.0
    times: int = 1


@dataclass(frozen=True)
class RequestMatch:
    """Selects requests by verb, resource and namespace (None = cluster scope, ANY = any) or a predicate."""

    verb: str = ANY
    resource: str = ANY
    namespace: str | None = ANY
    when: Callable[[ApiRequest], bool] | None = None

    def matches(self, request: ApiRequest) -> bool:
        """Return whether the request is selected."""
        return (
            self.verb in (ANY, request.verb)
            and self.resource in (ANY, request.resource)
            and (self.namespace == ANY or self.namespace == request.namespace)
            and (self.when is None or self.when(request))
        )


@dataclass(frozen=True)
class Response:
    """A response to send: a JSON `body`, or `raw` bytes of `content_type`, sent at once or trickled."""

    status: int
    body: JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"
    trickle: float = 0.0

    @property
    def payload(self) -> bytes:
        """Return the bytes of the body."""
        return json.dumps(self.body).encode() if self.raw is None else self.raw


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}
_MESSAGES = {
    401: "Unauthorized",
    404: "the server could not find the requested resource",
    405: "the server does not allow this method on the requested resource",
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected fault",
    503: "the server is currently unable to handle the request",
}
_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, "
    "or use the continue token in this response to retrieve the remainder of the results. "
    "Continuing with the provided token results in an inconsistent list - "
    "objects that were created, modified, or deleted between the time the first chunk was returned "
    "and now may show up in the list."
)


def status_response(
    code: int,
    message: str | None = None,
    *,
    details: JSON | None = None,
    metadata: JSON | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a failure response with a metav1.Status body like the real server's."""
    body: JSON = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": metadata or {},
        "status": "Failure",
        "message": message or _MESSAGES.get(code, f"injected error {code}"),
        "reason": _REASONS.get(code, "Unknown"),
        "code": code,
    }
    if details:
        body["details"] = details
    return Response(code, body, dict(headers or {}))


def forbidden_response(request: ApiRequest, user: str) -> Response:
    """Build a 403 with the message the RBAC authorizer would give `user` for this request."""
    if not request.resource:
        return status_response(403, f'forbidden: User "{user}" cannot {request.verb} path "{request.path}"')
    qualified = f"{request.resource}.{request.group}" if request.group else request.resource
    subject = f'{qualified} "{request.name}"' if request.name else qualified
    scope = f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{user}" cannot {request.verb} resource "{request.resource}" '
        f'in API group "{request.group}" {scope}'
    )
    details = {"name": request.name, "group": request.group, "kind": request.resource}
    return status_response(403, message, details={k: v for k, v in details.items() if v})


def parse_request(method: str, target: str) -> ApiRequest:
    """Describe an HTTP request in RBAC terms (verb, group, resource, namespace, name)."""
    url = urlsplit(target)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    parts = [part for part in url.path.split("/") if part]
    if parts[:1] == ["api"] and len(parts) > 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) > 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return ApiRequest(method, url.path, query, verb=method.lower())
    namespace = None
    if len(rest) in (3, 4) and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 2:
        return ApiRequest(method, url.path, query, verb=method.lower())
    name = rest[1] if len(rest) == 2 else None
    verb = {"GET": "get" if name else "list", "POST": "create"}.get(method, method.lower())
    return ApiRequest(method, url.path, query, verb, group, rest[0], namespace, name, version)


# --- Routing (discovery, lists, gets, SelfSubjectReview) ---


class Router:
    """Answers authenticated, authorized requests from the store and the configured resource types."""

    def __init__(
        self,
        store: ObjectStore,
        resources: Sequence[ResourceType],
        git_version: str,
        user: str,
        groups: Sequence[str],
    ) -> None:
        self.store = store
        self._resources = {(rt.group, rt.version, rt.plural): rt for rt in resources}
        self._git_version = git_version
        self._user = user
        self._groups = list(groups)
        self.server_address = ""

    def respond(self, request: ApiRequest) -> Response:
        """Return the response to a request."""
        if not request.resource:
            document = self._discovery(request.path.rstrip("/") or "/")
            return Response(200, document) if document and request.method == "GET" else status_response(404)
        resource = self._resources.get((request.group, request.version, request.resource))
        if resource is None or (request.namespace and not resource.namespaced):
            return status_response(404)
        if request.verb not in resource.verbs:
            return status_response(405)
        if resource is SELF_SUBJECT_REVIEWS:
            return self._self_subject_review()
        if request.verb == "list":
            return self._list(resource, request)
        obj = self.store.get(resource, request.name or "", request.namespace)
        if obj is None:
            details = {"name": request.name, "kind": request.resource}
            return status_response(404, f'{request.resource} "{request.name}" not found', details=details)
        return Response(200, obj)

    def _discovery(self, path: str) -> JSON | None:
        groups: dict[str, list[str]] = {}
        for rt in self._resources.values():
            if rt.group and rt.version not in groups.setdefault(rt.group, []):
                groups[rt.group].append(rt.version)
        documents = {
            "/version": self._version(),
            "/api": {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}
                ],
            },
            "/api/v1": self._resource_list("", "v1"),
            "/apis": {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [_api_group(name, versions) for name, versions in groups.items()],
            },
        }
        for name, versions in groups.items():
            documents[f"/apis/{name}"] = {
                "kind": "APIGroup",
                "apiVersion": "v1",
                **_api_group(name, versions),
            }
            for version in versions:
                documents[f"/apis/{name}/{version}"] = self._resource_list(name, version)
        return documents.get(path)

    def _version(self) -> JSON:
        major, minor = self._git_version.lstrip("v").split(".")[:2]
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self._git_version,
            "gitCommit": "0123456789abcdef0123456789abcdef01234567",
            "gitTreeState": "clean",
            "buildDate": "2024-12-10T11:34:16Z",
            "goVersion": "go1.22.9",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def _resource_list(self, group: str, version: str) -> JSON:
        resources = [
            entry
            for rt in self._resources.values()
            if (rt.group, rt.version) == (group, version)
            for entry in (rt.discovery(), *rt.subresource_discovery())
        ]
        group_version = f"{group}/{version}" if group else version
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": resources,
        }

    def _list(self, resource: ResourceType, request: ApiRequest) -> Response:
        selector_text = request.query.get("labelSelector", "")
        try:
            selector = parse_label_selector(selector_text)
            limit = int(request.query.get("limit") or 0)
            token = request.query.get("continue")
            start = decode_continue(token) if token else None
        except ValueError as err:
            return status_response(400, str(err))
        resource_version, objects = self.store.snapshot(resource, request.namespace)
        if start is not None:
            if start[0] != resource_version:
                return status_response(
                    410, _EXPIRED_MESSAGE, metadata={"continue": encode_continue(resource_version, start[1])}
                )
            objects = [obj for obj in objects if _object_key(obj) > start[1]]
        matching = [obj for obj in objects if selector(obj["metadata"].get("labels") or {})]
        page, rest = (matching[:limit], matching[limit:]) if limit > 0 else (matching, [])
        metadata: JSON = {"resourceVersion": str(resource_version)}
        if rest:
            metadata["continue"] = encode_continue(resource_version, _object_key(page[-1]))
            if not selector_text:
                metadata["remainingItemCount"] = len(rest)
        items = [_as_list_item(resource, obj) for obj in page]
        body = {
            "kind": f"{resource.kind}List",
            "apiVersion": resource.api_version,
            "metadata": metadata,
            "items": items,
        }
        return Response(200, body)

    def _self_subject_review(self) -> Response:
        body = {
            "kind": "SelfSubjectReview",
            "apiVersion": SELF_SUBJECT_REVIEWS.api_version,
            "metadata": {"creationTimestamp": _timestamp()},
            "status": {"userInfo": {"username": self._user, "groups": self._groups}},
        }
        return Response(201, body)


def _api_group(name: str, versions: Sequence[str]) -> JSON:
    entries = [{"groupVersion": f"{name}/{version}", "version": version} for version in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def _as_list_item(resource: ResourceType, obj: JSON) -> JSON:
    """Built-in list items omit kind/apiVersion like the real server; custom resource items keep them."""
    if not resource.builtin:
        return obj
    return {key: value for key, value in obj.items() if key not in ("kind", "apiVersion")}


# --- HTTP plumbing ---


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _TlsHttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; the emulator keeps its own request log."""

    def _serve(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        response = self.server.api.dispatch(self.command, self.path, self.headers.get("Authorization", ""))
        if response is None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        payload = response.payload
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not response.trickle:
                self.wfile.write(payload)
                return
            for index in range(len(payload)):
                if not self.server.api.pause(response.trickle):
                    self.close_connection = True
                    return
                self.wfile.write(payload[index:index + 1])
        except OSError:
            self.close_connection = True


class _TlsHttpServer(ThreadingHTTPServer):
    """Threading HTTP server doing the TLS handshake per connection, in the connection's thread."""

    daemon_threads = True

    def __init__(self, api: KubeApiServer, context: ssl.SSLContext) -> None:
        self.api = api
        self._context = context
        self._connections: set[ssl.SSLSocket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body are separate writes
        try:
            connection = self._context.wrap_socket(request, server_side=True)
        except OSError:  # handshake refused, e.g. the client does not trust our CA
            return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            with contextlib.suppress(OSError):
                super().finish_request(connection, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            connection.close()

    def disconnect_all(self) -> None:
        """Shut down every open client connection so idle keep-alive handler threads exit."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RDWR)


@dataclass
class _ArmedFault:
    match: RequestMatch
    fault: Fault
    remaining: int


# --- The emulator ---


class KubeApiServer:
    """Kubernetes API server emulator serving HTTPS on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        *,
        token: str = "test-token",
        user: str = DEFAULT_USER,
        groups: Sequence[str] = DEFAULT_GROUPS,
        custom_resources: Sequence[ResourceType] = (),
        git_version: str = "v1.31.4",
    ) -> None:
        self.token = token
        self.user = user
        self.store = ObjectStore((*BUILTIN_RESOURCES, *custom_resources))
        self.store.load(objects)
        self.authority = CertificateAuthority()
        served = (*BUILTIN_RESOURCES, SELF_SUBJECT_REVIEWS, *custom_resources)
        self._router = Router(self.store, served, git_version, user, groups)
        self._lock = threading.Lock()
        self._faults: list[_ArmedFault] = []
        self._forbidden: list[RequestMatch] = []
        self._log: list[LoggedRequest] = []
        self._stopping = threading.Event()
        self._httpd: _TlsHttpServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> KubeApiServer:
        """Bind an ephemeral port and serve in a background thread."""
        self._stopping.clear()
        self._httpd = _TlsHttpServer(self, _server_ssl_context(self.authority))
        self._router.server_address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.01,), name="kube-api-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed responses and close client connections."""
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.disconnect_all()
        self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the bound port (the server must be started)."""
        if self._httpd is None:
            raise RuntimeError("KubeApiServer is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Return the https:// base URL."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_pem(self) -> bytes:
        """Return the PEM of the CA that signed the serving certificate."""
        return self.authority.pem

    # --- client configuration helpers ---

    def write_kubeconfig(
        self,
        path: str | Path,
        *,
        context_name: str = "segproof-test",
        token: str | None = None,
        ca_pem: bytes | None = None,
    ) -> Path:
        """Write a kubeconfig (JSON, which is YAML) for this server with inline CA data and a bearer token."""
        ca_data = base64.b64encode(ca_pem or self.ca_pem).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": context_name, "cluster": {"server": self.url, "certificate-authority-data": ca_data}}
            ],
            "users": [{"name": context_name, "user": {"token": self.token if token is None else token}}],
            "contexts": [{"name": context_name, "context": {"cluster": context_name, "user": context_name}}],
            "current-context": context_name,
            "preferences": {},
        }
        target = Path(path)
        target.write_text(json.dumps(config, indent=2))
        return target

    def incluster_files(
        self, directory: str | Path, *, token: str | None = None, ca_pem: bytes | None = None
    ) -> tuple[dict[str, str], Path, Path]:
        """Write service-account style token and ca.crt files; return (env vars, token path, CA path)."""
        token_path, ca_path = Path(directory, "token"), Path(directory, "ca.crt")
        token_path.write_text(self.token if token is None else token)
        ca_path.write_bytes(ca_pem or self.ca_pem)
        env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port)}
        return env, token_path, ca_path

    # --- fault injection ---

    def inject(
        self,
        fault: Fault,
        *,
        verb: str = ANY,
        resource: str = ANY,
        namespace: str | None = ANY,
        when: Callable[[ApiRequest], bool] | None = None,
    ) -> None:
        """Apply `fault` to the next `fault.times` matching requests (namespace None = cluster scope only)."""
        with self._lock:
            self._faults.append(
                _ArmedFault(RequestMatch(verb, resource, namespace, when), fault, fault.times)
            )

    def forbid(
        self,
        *,
        verb: str = ANY,
        resource: str = ANY,
        namespace: str | None = ANY,
        when: Callable[[ApiRequest], bool] | None = None,
    ) -> None:
        """Answer every matching request with an RBAC-style 403 from now on."""
        with self._lock:
            self._forbidden.append(RequestMatch(verb, resource, namespace, when))

    def clear_faults(self) -> None:
        """Drop pending faults and forbid rules."""
        with self._lock:
            self._faults.clear()
            self._forbidden.clear()

    # --- request log ---

    @property
    def requests(self) -> list[LoggedRequest]:
        """Return a copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def requests_matching(
        self,
        *,
        verb: str = ANY,
        resource: str = ANY,
        namespace: str | None = ANY,
        when: Callable[[ApiRequest], bool] | None = None,
    ) -> list[LoggedRequest]:
        """Return the logged requests selected like `inject` selects them."""
        match = RequestMatch(verb, resource, namespace, when)
        return [entry for entry in self.requests if match.matches(entry)]

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    # --- request handling ---

    def dispatch(self, method: str, target: str, authorization: str) -> Response | None:
        """Answer one HTTP request; None means drop the connection without a response."""
        request = parse_request(method, target)
        fault = self._take_fault(request)
        if fault is not None and fault.delay:
            self.pause(fault.delay)
        response: Response | None
        if fault is not None and (fault.close or fault.hang):
            if fault.hang:
                self._stopping.wait()
            response = None
        elif fault is not None and (fault.status or fault.body is not None or fault.endless or fault.trickle):
            response = self._fault_response(fault, request)
        elif not self._authenticated(authorization):
            response = status_response(401)
        elif self._is_forbidden(request):
            response = forbidden_response(request, self.user)
        else:
            response = self._router.respond(request)
        with self._lock:
            self._log.append(LoggedRequest(**vars(request), status=response.status if response else 0))
        return response

    def _take_fault(self, request: ApiRequest) -> Fault | None:
        with self._lock:
            for armed in self._faults:
                if armed.remaining > 0 and armed.match.matches(request):
                    armed.remaining -= 1
                    return armed.fault
        return None

    def _is_forbidden(self, request: ApiRequest) -> bool:
        with self._lock:
            return any(match.matches(request) for match in self._forbidden)

    def _authenticated(self, authorization: str) -> bool:
        scheme, _, credential = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credential.strip().encode(), self.token.encode()
        )

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`, or less when the server stops; return whether it still serves."""
        return not self._stopping.wait(seconds)

    def _fault_response(self, fault: Fault, request: ApiRequest) -> Response:
        if fault.body is not None:
            return Response(fault.status or 200, {}, raw=fault.body, content_type=fault.content_type,
                            trickle=fault.trickle)
        if fault.endless:
            first = self._router.respond(replace(request, query={**request.query, "continue": ""}))
            token = "endless" if fault.endless == "same" else uuid.uuid4().hex
            body = {**first.body, "metadata": {**first.body.get("metadata", {}), "continue": token}}
            return Response(first.status, body, trickle=fault.trickle)
        if fault.trickle:
            return replace(self._router.respond(request), trickle=fault.trickle)
        if fault.status == 403 and fault.message is None:
            return forbidden_response(request, self.user)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        details = {"retryAfterSeconds": fault.retry_after} if fault.retry_after is not None else None
        return status_response(fault.status or 500, fault.message, details=details, headers=headers)
