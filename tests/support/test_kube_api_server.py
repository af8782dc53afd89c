"""Drive the Kubernetes API server emulator with the real `kubernetes` client over HTTPS."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import (
    ApiException,
    BadRequestException,
    ForbiddenException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)
from kubernetes.config.incluster_config import InClusterConfigLoader
from kubernetes.dynamic import DynamicClient

from .kube_api_server import (
    ADMIN_NETWORK_POLICIES,
    BASELINE_ADMIN_NETWORK_POLICIES,
    CALICO_GLOBAL_NETWORK_POLICIES,
    CALICO_NETWORK_POLICIES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES,
    CILIUM_NETWORK_POLICIES,
    CLUSTER_NETWORK_POLICIES,
    DEFAULT_USER,
    PODS,
    Fault,
    KubeApiServer,
    decode_continue,
    make_namespace,
    make_network_policy,
    make_pod,
    make_service,
    parse_label_selector,
    unrelated_ca_pem,
)

TOKEN = "s3cret-token"
WEB = {"app": "web", "tier": "frontend"}
OBJECTS = [
    make_namespace("prod", {"env": "prod"}),
    make_namespace("dev", {"env": "dev"}),
    make_namespace("kube-system"),
    make_pod("prod", "web-2", WEB),
    make_pod("prod", "web-1", WEB),
    make_pod("prod", "db-1", {"app": "db", "tier": "backend"}),
    make_pod("prod", "cache-1", {"app": "cache"}),
    make_pod("dev", "web-1", WEB),
    make_pod("dev", "job-1"),
    make_service("prod", "web", {"app": "web"}),
    make_service("prod", "db", {"app": "db"}),
    make_service("dev", "web", {"app": "web"}),
    make_network_policy("prod", "default-deny"),
    make_network_policy("prod", "allow-web", {"app": "web"}),
    make_network_policy("dev", "default-deny"),
]
ALL_PODS = ["dev/job-1", "dev/web-1", "prod/cache-1", "prod/db-1", "prod/web-1", "prod/web-2"]
CUSTOM_RESOURCES = (
    ADMIN_NETWORK_POLICIES,
    CALICO_NETWORK_POLICIES,
    CALICO_GLOBAL_NETWORK_POLICIES,
    CILIUM_NETWORK_POLICIES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES,
)
CUSTOM_OBJECTS = [
    {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "anp"},
    },
    {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": "prod", "name": "c"},
    },
    {"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy", "metadata": {"name": "gnp"}},
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"namespace": "prod", "name": "a"},
    },
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"namespace": "dev", "name": "b"},
    },
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "ccnp"}},
]

Connect = Callable[..., client.ApiClient]


@pytest.fixture
def server() -> Iterator[KubeApiServer]:
    """Run an emulator loaded with the sample objects and custom network policy resources."""
    with KubeApiServer(
        [*OBJECTS, *CUSTOM_OBJECTS], token=TOKEN, custom_resources=CUSTOM_RESOURCES
    ) as running:
        yield running


@pytest.fixture
def connect(server: KubeApiServer, tmp_path: Path) -> Iterator[Connect]:
    """Return a factory of ApiClients configured from a kubeconfig written by the server."""
    clients: list[client.ApiClient] = []

    def _connect(
        *, token: str | None = None, ca_pem: bytes | None = None, retries: Any = None
    ) -> client.ApiClient:
        kubeconfig = server.write_kubeconfig(
            tmp_path / f"kubeconfig-{len(clients)}", token=token, ca_pem=ca_pem
        )
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
        if retries is not None:
            configuration.retries = retries
        clients.append(client.ApiClient(configuration))
        return clients[-1]

    yield _connect
    for api_client in clients:
        api_client.close()


@pytest.fixture
def core(connect: Connect) -> client.CoreV1Api:
    """Return a CoreV1Api on a default-configured client."""
    return client.CoreV1Api(connect())


def names(items: list[Any]) -> list[str]:
    """Return namespace/name (or name) of typed model items."""
    return [
        f"{i.metadata.namespace}/{i.metadata.name}" if i.metadata.namespace else i.metadata.name
        for i in items
    ]


def status_body(error: ApiException) -> dict[str, Any]:
    """Return the decoded Status body of an API error."""
    return json.loads(error.body)


# --- version, discovery, authentication ---


def test_version_and_discovery_via_new_client_from_config(server: KubeApiServer, tmp_path: Path) -> None:
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", context_name="emulator")
    with config.new_client_from_config(config_file=str(kubeconfig), context="emulator") as api_client:
        version = client.VersionApi(api_client).get_code()
        assert (version.major, version.minor, version.git_version) == ("1", "31", "v1.31.4")
        assert client.CoreApi(api_client).get_api_versions().versions == ["v1"]
        core_resources = {
            r.name: r.namespaced for r in client.CoreV1Api(api_client).get_api_resources().resources
        }
        assert core_resources == {"namespaces": False, "nodes": False, "pods": True, "services": True}
        groups = [g.name for g in client.ApisApi(api_client).get_api_versions().groups]
        assert groups[:2] == ["networking.k8s.io", "authentication.k8s.io"]
        netpol = client.NetworkingV1Api(api_client).get_api_resources()
        assert (netpol.group_version, [r.kind for r in netpol.resources]) == (
            "networking.k8s.io/v1",
            ["NetworkPolicy"],
        )


def test_version_with_trailing_slash_and_unknown_paths(server: KubeApiServer, connect: Connect) -> None:
    api_client = connect()
    response = api_client.rest_client.request("GET", f"{server.url}/version/", headers=_auth_headers())
    assert json.loads(response.read())["gitVersion"] == "v1.31.4"
    missing = api_client.rest_client.request("GET", f"{server.url}/apis/nope.io/v1", headers=_auth_headers())
    assert (missing.status, json.loads(missing.read())["reason"]) == (404, "NotFound")


def _auth_headers() -> dict[str, str]:
    """Return the bearer header the emulator accepts."""
    return {"Authorization": f"Bearer {TOKEN}"}


def test_wrong_token_is_401_with_status_body(server: KubeApiServer, connect: Connect) -> None:
    with pytest.raises(UnauthorizedException) as excinfo:
        client.CoreV1Api(connect(token="wrong")).list_namespace()
    assert excinfo.value.status == 401
    assert status_body(excinfo.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    assert [(r.path, r.status) for r in server.requests] == [("/api/v1/namespaces", 401)]


def test_incluster_configuration(
    server: KubeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, token_file, ca_file = server.incluster_files(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    configuration = client.Configuration()
    # load_incluster_config() has no file-name parameters in kubernetes 37; the loader class does.
    InClusterConfigLoader(token_filename=str(token_file), cert_filename=str(ca_file)).load_and_set(
        configuration
    )
    with client.ApiClient(configuration) as api_client:
        assert names(client.CoreV1Api(api_client).list_namespace().items) == ["dev", "kube-system", "prod"]
        review = client.AuthenticationV1Api(api_client).create_self_subject_review(
            body=client.V1SelfSubjectReview()
        )
    assert review.status.user_info.username == DEFAULT_USER
    assert "system:authenticated" in review.status.user_info.groups


def test_self_subject_review_can_be_forbidden(server: KubeApiServer, connect: Connect) -> None:
    server.forbid(verb="create", resource="selfsubjectreviews")
    with pytest.raises(ForbiddenException) as excinfo:
        client.AuthenticationV1Api(connect()).create_self_subject_review(body=client.V1SelfSubjectReview())
    assert status_body(excinfo.value)["message"] == (
        f'selfsubjectreviews.authentication.k8s.io is forbidden: User "{DEFAULT_USER}" '
        'cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" '
        "at the cluster scope"
    )


def test_tls_with_wrong_ca_fails_with_ssl_error(server: KubeApiServer, connect: Connect) -> None:
    with pytest.raises(urllib3.exceptions.MaxRetryError) as excinfo:
        client.VersionApi(connect(ca_pem=unrelated_ca_pem())).get_code()
    assert isinstance(excinfo.value.reason, urllib3.exceptions.SSLError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(excinfo.value.reason)
    assert server.requests == []


# --- lists and gets ---


def test_lists_cluster_wide_and_namespaced(connect: Connect) -> None:
    api_client = connect()
    core, networking = client.CoreV1Api(api_client), client.NetworkingV1Api(api_client)
    assert names(core.list_namespace().items) == ["dev", "kube-system", "prod"]
    assert names(core.list_pod_for_all_namespaces().items) == ALL_PODS
    assert names(core.list_namespaced_pod("dev").items) == ["dev/job-1", "dev/web-1"]
    assert names(core.list_namespaced_pod("kube-system").items) == []
    assert names(core.list_service_for_all_namespaces().items) == ["dev/web", "prod/db", "prod/web"]
    assert names(core.list_namespaced_service("prod").items) == ["prod/db", "prod/web"]
    policies = networking.list_network_policy_for_all_namespaces()
    assert names(policies.items) == ["dev/default-deny", "prod/allow-web", "prod/default-deny"]
    assert policies.items[1].spec.pod_selector.match_labels == {"app": "web"}
    assert names(networking.list_namespaced_network_policy("dev").items) == ["dev/default-deny"]


def test_get_namespace_and_pod(core: client.CoreV1Api) -> None:
    assert core.read_namespace("prod").metadata.labels == {"env": "prod"}
    assert core.read_namespaced_pod("web-1", "dev").spec.containers[0].name == "main"
    with pytest.raises(NotFoundException) as excinfo:
        core.read_namespace("missing")
    assert status_body(excinfo.value)["message"] == 'namespaces "missing" not found'


def test_raw_list_shape_matches_the_real_server(server: KubeApiServer, core: client.CoreV1Api) -> None:
    response = core.list_namespaced_pod("prod", _preload_content=False)
    body = json.loads(response.data)
    assert (body["kind"], body["apiVersion"]) == ("PodList", "v1")
    assert body["metadata"] == {"resourceVersion": str(server.store.resource_version)}
    assert [item["metadata"]["name"] for item in body["items"]] == ["cache-1", "db-1", "web-1", "web-2"]
    assert all("kind" not in item and "apiVersion" not in item for item in body["items"])
    assert {"uid", "resourceVersion", "creationTimestamp"} <= body["items"][0]["metadata"].keys()


def test_store_mutations_are_visible_while_serving(server: KubeApiServer, core: client.CoreV1Api) -> None:
    before = server.store.resource_version
    server.store.put(make_pod("dev", "new-1", {"app": "new"}))
    server.store.put(make_pod("dev", "web-1", {"app": "web", "tier": "edge"}))
    assert server.store.delete(PODS, "job-1", "dev")
    assert not server.store.delete(PODS, "job-1", "dev")
    pods = core.list_namespaced_pod("dev")
    assert names(pods.items) == ["dev/new-1", "dev/web-1"]
    assert pods.items[1].metadata.labels["tier"] == "edge"
    assert pods.metadata.resource_version == str(before + 3)


# --- label selectors ---


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["dev/web-1", "prod/web-1", "prod/web-2"]),
        ("app==db", ["prod/db-1"]),
        ("app!=web", ["dev/job-1", "prod/cache-1", "prod/db-1"]),
        ("app in (db, cache)", ["prod/cache-1", "prod/db-1"]),
        ("app notin (web,db)", ["dev/job-1", "prod/cache-1"]),
        ("tier", ["dev/web-1", "prod/db-1", "prod/web-1", "prod/web-2"]),
        ("!tier", ["dev/job-1", "prod/cache-1"]),
        ("app=web,tier in (frontend),!missing", ["dev/web-1", "prod/web-1", "prod/web-2"]),
        ("", ALL_PODS),
    ],
)
def test_label_selector(core: client.CoreV1Api, selector: str, expected: list[str]) -> None:
    assert names(core.list_pod_for_all_namespaces(label_selector=selector).items) == expected


@pytest.mark.parametrize(
    "selector", ["app=", "=web", "app in ()", "app in (a", "a b", "app=web,", "app===web"]
)
def test_malformed_label_selector_is_400(core: client.CoreV1Api, selector: str) -> None:
    if selector == "app=":  # an empty value is valid: it matches pods labelled app="" only
        assert core.list_pod_for_all_namespaces(label_selector=selector).items == []
        return
    with pytest.raises(BadRequestException) as excinfo:
        core.list_pod_for_all_namespaces(label_selector=selector)
    body = status_body(excinfo.value)
    assert (body["code"], body["reason"]) == (400, "BadRequest")
    assert body["message"].startswith("unable to parse requirement")


def test_label_selector_parser_semantics() -> None:
    matches = parse_label_selector("example.com/team in (a,b), version!=2, !legacy")
    assert matches({"example.com/team": "a", "version": "1"})
    assert matches({"example.com/team": "b"})
    assert not matches({"example.com/team": "c"})
    assert not matches({"example.com/team": "a", "version": "2"})
    assert not matches({"example.com/team": "a", "legacy": ""})


# --- pagination ---


def test_pagination_with_typed_models(server: KubeApiServer, core: client.CoreV1Api) -> None:
    collected, token, pages = [], None, []
    while True:
        page = core.list_pod_for_all_namespaces(limit=2, _continue=token)
        collected += names(page.items)
        pages.append((page.metadata.remaining_item_count, page.metadata.resource_version))
        token = page.metadata.var_continue  # the model renames `continue` to `var_continue`
        if not token:
            break
    assert collected == ALL_PODS
    rv = str(server.store.resource_version)
    assert pages == [(4, rv), (2, rv), (None, rv)]
    list_requests = server.requests_matching(verb="list", resource="pods", namespace=None)
    assert [r.query.get("limit") for r in list_requests] == ["2", "2", "2"]
    assert ["continue" in r.query for r in list_requests] == [False, True, True]


def test_pagination_with_raw_json_and_label_selector(server: KubeApiServer, core: client.CoreV1Api) -> None:
    collected, token, metadata = [], None, []
    while True:
        kwargs = {"_continue": token} if token else {}
        raw = core.list_namespaced_pod(
            "prod", label_selector="tier", limit=2, _preload_content=False, **kwargs
        )
        body = json.loads(raw.data)
        collected += [item["metadata"]["name"] for item in body["items"]]
        metadata.append(body["metadata"])
        token = body["metadata"].get("continue")
        if not token:
            break
    assert collected == ["db-1", "web-1", "web-2"]
    # Like the real server, remainingItemCount is omitted when a label selector is used.
    assert ["remainingItemCount" in m for m in metadata] == [False, False]
    assert decode_continue(metadata[0]["continue"]) == (server.store.resource_version, ("prod", "web-1"))


def test_continue_after_store_change_is_410_expired(server: KubeApiServer, core: client.CoreV1Api) -> None:
    first = core.list_pod_for_all_namespaces(limit=2)
    server.store.put(make_pod("prod", "late-1"))
    with pytest.raises(ApiException) as excinfo:
        core.list_pod_for_all_namespaces(limit=2, _continue=first.metadata.var_continue)
    body = status_body(excinfo.value)
    assert (excinfo.value.status, body["reason"], body["code"]) == (410, "Expired", 410)
    assert body["message"].startswith("The provided continue parameter is too old")
    # The 410 carries a fresh token to resume (inconsistently) from the same key, as the real server does.
    resumed = core.list_pod_for_all_namespaces(limit=10, _continue=body["metadata"]["continue"])
    assert names(resumed.items) == ["prod/cache-1", "prod/db-1", "prod/late-1", "prod/web-1", "prod/web-2"]


def test_invalid_continue_token_is_400(core: client.CoreV1Api) -> None:
    with pytest.raises(BadRequestException):
        core.list_pod_for_all_namespaces(limit=2, _continue="not-a-token")


# --- fault injection ---


def test_persistent_forbid_on_network_policies(server: KubeApiServer, connect: Connect) -> None:
    server.forbid(verb="list", resource="networkpolicies")
    networking = client.NetworkingV1Api(connect())
    for _ in range(2):
        with pytest.raises(ForbiddenException) as excinfo:
            networking.list_network_policy_for_all_namespaces()
    assert status_body(excinfo.value)["message"] == (
        f'networkpolicies.networking.k8s.io is forbidden: User "{DEFAULT_USER}" cannot list resource '
        '"networkpolicies" in API group "networking.k8s.io" at the cluster scope'
    )
    with pytest.raises(ForbiddenException) as excinfo:
        networking.list_namespaced_network_policy("prod")
    body = status_body(excinfo.value)
    assert body["message"].endswith('in API group "networking.k8s.io" in the namespace "prod"')
    assert body["details"] == {"group": "networking.k8s.io", "kind": "networkpolicies"}
    assert len(client.CoreV1Api(networking.api_client).list_pod_for_all_namespaces().items) == 6


def test_injected_403_fires_once_for_the_matching_namespace(
    server: KubeApiServer, core: client.CoreV1Api
) -> None:
    server.inject(Fault(status=403), verb="list", resource="pods", namespace="prod")
    assert len(core.list_namespaced_pod("dev").items) == 2
    with pytest.raises(ForbiddenException) as excinfo:
        core.list_namespaced_pod("prod")
    assert status_body(excinfo.value)["message"] == (
        f'pods is forbidden: User "{DEFAULT_USER}" cannot list resource "pods" in API group "" '
        'in the namespace "prod"'
    )
    assert len(core.list_namespaced_pod("prod").items) == 4
    assert [r.status for r in server.requests] == [200, 403, 200]


def test_429_with_retry_after_then_manual_retry(server: KubeApiServer, connect: Connect) -> None:
    server.inject(Fault(status=429, retry_after=7), resource="namespaces")
    core = client.CoreV1Api(connect(retries=False))
    with pytest.raises(ApiException) as excinfo:
        core.list_namespace()
    assert excinfo.value.status == 429
    assert excinfo.value.headers["Retry-After"] == "7"
    body = status_body(excinfo.value)
    assert (body["reason"], body["details"]) == ("TooManyRequests", {"retryAfterSeconds": 7})
    assert len(core.list_namespace().items) == 3


def test_default_client_silently_honours_retry_after(server: KubeApiServer, core: client.CoreV1Api) -> None:
    # urllib3's default Retry(3) re-sends GETs answered 429/503 with a Retry-After header (sleeping for it).
    server.inject(Fault(status=503, retry_after=0, times=2), resource="namespaces")
    assert len(core.list_namespace().items) == 3
    assert [r.status for r in server.requests] == [503, 503, 200]


def test_500_surfaces_as_service_exception(server: KubeApiServer, core: client.CoreV1Api) -> None:
    server.inject(Fault(status=500), verb="list", resource="services", namespace=None)
    with pytest.raises(ServiceException) as excinfo:
        core.list_service_for_all_namespaces()
    assert status_body(excinfo.value)["reason"] == "InternalError"
    assert len(core.list_service_for_all_namespaces().items) == 3


def test_slow_response_times_out(server: KubeApiServer, connect: Connect) -> None:
    server.inject(Fault(delay=5), resource="pods")
    core = client.CoreV1Api(connect(retries=False))
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.list_pod_for_all_namespaces(_request_timeout=(1, 0.3))
    assert time.monotonic() - started < 2
    assert len(core.list_pod_for_all_namespaces(_request_timeout=2).items) == 6


def test_slow_responses_exhaust_default_retries(server: KubeApiServer, core: client.CoreV1Api) -> None:
    server.inject(Fault(delay=5, times=4), resource="pods")
    with pytest.raises(urllib3.exceptions.MaxRetryError) as excinfo:
        core.list_pod_for_all_namespaces(_request_timeout=0.2)
    assert isinstance(excinfo.value.reason, urllib3.exceptions.ReadTimeoutError)


def test_dropped_connection_is_retried_transparently_by_default(
    server: KubeApiServer, core: client.CoreV1Api
) -> None:
    server.inject(Fault(close=True), verb="list", resource="pods")
    assert len(core.list_pod_for_all_namespaces().items) == 6
    assert [r.status for r in server.requests] == [0, 200]


def test_dropped_connections_surface_as_protocol_errors(server: KubeApiServer, connect: Connect) -> None:
    server.inject(Fault(close=True), when=lambda request: request.path.startswith("/version"))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        client.VersionApi(connect(retries=False)).get_code()
    server.inject(Fault(close=True, times=4), resource="pods")
    with pytest.raises(urllib3.exceptions.MaxRetryError) as excinfo:
        client.CoreV1Api(connect()).list_pod_for_all_namespaces()
    assert isinstance(excinfo.value.reason, urllib3.exceptions.ProtocolError)


def test_a_raw_body_replaces_the_answer(server: KubeApiServer, core: client.CoreV1Api) -> None:
    server.inject(Fault(body=b"<html>login</html>", content_type="text/html"), resource="pods")
    raw = core.list_pod_for_all_namespaces(_preload_content=False)
    assert (raw.status, raw.headers["Content-Type"], raw.data) == (200, "text/html", b"<html>login</html>")
    server.inject(Fault(status=502, body=b"[1, 2]"), resource="pods")
    with pytest.raises(ApiException) as excinfo:
        core.list_pod_for_all_namespaces()
    assert (excinfo.value.status, excinfo.value.body) == (502, "[1, 2]")


@pytest.mark.parametrize(("endless", "same"), [("same", True), ("fresh", False)])
def test_an_endless_list_answers_its_first_page_with_a_continue_token(
    server: KubeApiServer, core: client.CoreV1Api, endless: Literal["same", "fresh"], same: bool
) -> None:
    server.inject(Fault(endless=endless, times=3), verb="list", resource="pods")
    tokens, token = [], None
    for _ in range(3):
        page = core.list_pod_for_all_namespaces(limit=2, _continue=token)
        assert names(page.items) == ALL_PODS[:2]
        token = page.metadata.var_continue
        tokens.append(token)
    assert (len(set(tokens)) == 1) == same and all(tokens)


def test_a_trickled_body_arrives_slowly_without_a_read_timeout(server: KubeApiServer, connect: Connect) -> None:
    server.inject(Fault(body=b'{"kind": "x"}', trickle=0.05), when=lambda r: r.path.startswith("/version"))
    started = time.monotonic()
    raw = client.VersionApi(connect(retries=False)).get_code(_preload_content=False, _request_timeout=(1, 0.3))
    assert json.loads(raw.data) == {"kind": "x"}
    assert time.monotonic() - started >= 0.6  # 13 bytes, 50 ms apart: well past the 0.3 s read timeout
    server.inject(Fault(trickle=0.001), resource="namespaces")
    assert len(client.CoreV1Api(connect()).list_namespace().items) == 3  # a real answer can be trickled too


def test_a_hanging_request_gets_no_answer_until_the_server_stops(server: KubeApiServer, connect: Connect) -> None:
    server.inject(Fault(hang=True), resource="pods")
    core = client.CoreV1Api(connect(retries=False))
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.list_pod_for_all_namespaces(_request_timeout=(1, 0.5))
    assert time.monotonic() - started < 1.5
    assert len(core.list_pod_for_all_namespaces().items) == 6


# --- custom resources ---


def test_custom_resource_discovery(connect: Connect) -> None:
    api_client = connect()
    groups = {
        g.name: g.preferred_version.version for g in client.ApisApi(api_client).get_api_versions().groups
    }
    assert groups == {
        "networking.k8s.io": "v1",
        "authentication.k8s.io": "v1",
        "policy.networking.k8s.io": "v1alpha1",
        "crd.projectcalico.org": "v1",
        "cilium.io": "v2",
    }
    cilium = client.CustomObjectsApi(api_client).get_api_resources("cilium.io", "v2")
    assert {r.name: r.namespaced for r in cilium.resources} == {
        "ciliumnetworkpolicies": True,
        "ciliumclusterwidenetworkpolicies": False,
    }


def test_custom_resources_are_listable(connect: Connect) -> None:
    custom = client.CustomObjectsApi(connect())
    cnps = custom.list_cluster_custom_object("cilium.io", "v2", "ciliumnetworkpolicies")
    assert (cnps["kind"], [i["metadata"]["name"] for i in cnps["items"]]) == (
        "CiliumNetworkPolicyList",
        ["b", "a"],
    )
    assert cnps["items"][0]["kind"] == "CiliumNetworkPolicy"  # custom resource items keep kind/apiVersion
    prod = custom.list_namespaced_custom_object("cilium.io", "v2", "prod", "ciliumnetworkpolicies")
    assert [i["metadata"]["name"] for i in prod["items"]] == ["a"]
    calico = custom.list_cluster_custom_object("crd.projectcalico.org", "v1", "networkpolicies")
    assert [i["metadata"]["name"] for i in calico["items"]] == ["c"]
    for group, version, plural in [
        ("policy.networking.k8s.io", "v1alpha1", "adminnetworkpolicies"),
        ("crd.projectcalico.org", "v1", "globalnetworkpolicies"),
        ("cilium.io", "v2", "ciliumclusterwidenetworkpolicies"),
    ]:
        assert len(custom.list_cluster_custom_object(group, version, plural)["items"]) == 1
    with pytest.raises(NotFoundException):  # cluster-scoped resources have no namespaced URL
        custom.list_namespaced_custom_object("cilium.io", "v2", "prod", "ciliumclusterwidenetworkpolicies")


def test_dynamic_client_discovers_and_counts_custom_resources(connect: Connect, tmp_path: Path) -> None:
    dynamic = DynamicClient(connect(), cache_file=str(tmp_path / "discovery.json"))
    resource = dynamic.resources.get(api_version="cilium.io/v2", kind="CiliumNetworkPolicy")
    assert len(resource.get().items) == 2
    assert len(resource.get(namespace="dev").items) == 1



def test_a_group_in_two_versions_is_discovered_with_subresources(tmp_path: Path) -> None:
    group = "policy.networking.k8s.io"
    resources = (ADMIN_NETWORK_POLICIES, BASELINE_ADMIN_NETWORK_POLICIES, CLUSTER_NETWORK_POLICIES)
    cnp = {"apiVersion": f"{group}/v1alpha2", "kind": "ClusterNetworkPolicy", "metadata": {"name": "x"}}
    with KubeApiServer([cnp], token=TOKEN, custom_resources=resources) as running:
        configuration = client.Configuration()
        kubeconfig = str(running.write_kubeconfig(tmp_path / "kc"))
        config.load_kube_config(kubeconfig, client_configuration=configuration)
        with client.ApiClient(configuration) as api_client:
            groups = client.ApisApi(api_client).get_api_versions().groups
            custom = client.CustomObjectsApi(api_client)
            v1alpha1 = custom.get_api_resources(group, "v1alpha1")
            listed = custom.list_cluster_custom_object(group, "v1alpha2", "clusternetworkpolicies")
            dynamic = DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))
            cnps = dynamic.resources.get(api_version=f"{group}/v1alpha2", kind="ClusterNetworkPolicy")
    policy = next(g for g in groups if g.name == group)
    assert [v.version for v in policy.versions] == ["v1alpha1", "v1alpha2"]
    assert policy.preferred_version.version == "v1alpha1"
    assert [r.name for r in v1alpha1.resources] == [
        "adminnetworkpolicies",
        "adminnetworkpolicies/status",
        "baselineadminnetworkpolicies",
        "baselineadminnetworkpolicies/status",
    ]
    assert [i["metadata"]["name"] for i in listed["items"]] == ["x"]
    assert (cnps.namespaced, list(cnps.subresources)) == (False, ["status"])
