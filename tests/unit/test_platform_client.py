"""Where scripts/platform_client.py sends its requests: the webserver inside the compose
network, or the gateway from the host, signed in."""

import pytest

import platform_client


@pytest.fixture(autouse=True)
def no_ui_login(monkeypatch):
    """Start from a shell without the client's variables."""
    names = (
        "DAGSTER_UI_USER",
        "DAGSTER_UI_PASSWORD",
        "DAGSTER_WEBSERVER_HOST",
        "DAGSTER_WEBSERVER_INTERNAL_PORT",
        "DAGSTER_WEBSERVER_PATH_PREFIX",
    )
    for name in names:
        monkeypatch.delenv(name, raising=False)


def test_inside_the_network_it_talks_to_the_webserver_service():
    assert platform_client.webserver().graphql_url == "http://webserver:3000/graphql"


def test_inside_the_network_it_follows_the_webservers_path_prefix(monkeypatch):
    """The tools container gets the webservers' DAGSTER_WEBSERVER_PATH_PREFIX."""
    monkeypatch.setenv("DAGSTER_WEBSERVER_PATH_PREFIX", "/dagster")
    assert platform_client.webserver().graphql_url == "http://webserver:3000/dagster/graphql"


def test_host_and_port():
    assert platform_client.webserver("127.0.0.1:3380").graphql_url == "http://127.0.0.1:3380/graphql"


def test_a_url_keeps_its_scheme_and_path_prefix():
    where = platform_client.webserver("https://dagster.example.com/dagster/")
    assert (where.graphql_url, where.auth) == ("https://dagster.example.com:443/dagster/graphql", None)


def test_the_login_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DAGSTER_UI_USER", "editor")
    monkeypatch.setenv("DAGSTER_UI_PASSWORD", "s3cret")
    assert platform_client.webserver("http://127.0.0.1:8080").auth == ("editor", "s3cret")


def test_a_url_login_wins_and_is_percent_decoded(monkeypatch):
    monkeypatch.setenv("DAGSTER_UI_USER", "viewer")
    monkeypatch.setenv("DAGSTER_UI_PASSWORD", "other")
    where = platform_client.webserver("http://editor:p%40ss%3Aword@127.0.0.1:8080")
    assert (where.auth, where.graphql_url) == (("editor", "p@ss:word"), "http://127.0.0.1:8080/graphql")


@pytest.mark.parametrize("address", ["ftp://host:21", "http://:8080", "file:///etc/passwd"])
def test_other_addresses_are_refused(address):
    with pytest.raises(ValueError, match="expected HOST:PORT or an http"):
        platform_client.webserver(address)
