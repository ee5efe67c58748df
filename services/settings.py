"""Settings, read from the environment (ONTOSIDES_*) by the entry points and passed down."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.factory import open_store
from store.federation import Federation


class Settings(BaseSettings):
    """Everything an entry point needs to wire the platform together."""

    model_config = SettingsConfigDict(env_prefix="ONTOSIDES_", env_file=".env", extra="ignore")

    store: str = Field("var/store", description="folder of the embedded store, ':memory:', or a SPARQL server URL")
    remote_kind: Literal["oxigraph", "virtuoso", "generic"] = Field(
        "oxigraph", description="the SPARQL server at a store URL: names its endpoints and how it departs from "
                                "the standard (virtuoso: /sparql, /sparql-auth, /sparql-graph-crud-auth, digest auth)")
    remote_hidden_graphs: str | None = Field(
        None, description="comma-separated graphs kept out of the default and named graphs (virtuoso: its "
                          "system graphs by default)")
    query_url: str | None = Field(None, description="remote SPARQL query endpoint, if not <store>/query")
    update_url: str | None = Field(None, description="remote SPARQL update endpoint, if not <store>/update")
    gsp_url: str | None = Field(None, description="remote Graph Store endpoint, if not <store>/store")
    remote_user: str | None = Field(None, description="user for the remote query endpoint (basic auth; digest "
                                                      "for virtuoso)")
    remote_password: str | None = None
    remote_update_user: str | None = Field(None, description="basic-auth user for updates and the Graph Store, "
                                                             "if not the query user")
    remote_update_password: str | None = None
    remote_token: str | None = Field(None, description="bearer token sent to the remote server")
    base_iri: str = "https://data.ontosides.fr/"
    admin_token: str | None = Field(None, description="bearer token of the administrator")
    user_tokens: dict[str, str] = Field(default_factory=dict,
                                        description="bearer token → person IRI, for test users until accounts exist")
    media_dir: str = Field("var/media", description="folder where uploaded images and articles are kept by hash")
    outbox_dir: str = Field("var/outbox", description="folder where outgoing mail (verification codes) is written")
    mail_from: str = Field("OntoSIDES <no-reply@ontosides.fr>", description="the sender of the platform's mail")
    oidc_issuer: str | None = Field(None, description="the OpenID Connect issuer whose ID/access tokens are accepted")
    oidc_audience: str | None = Field(None, description="the audience (client id) tokens must be for")
    oidc_jwks_url: str | None = Field(None, description="the issuer's JWKS; default: its discovery document's jwks_uri")
    oidc_eppn_claim: str = Field("eduPersonPrincipalName", description="the claim holding the EPPN")
    oidc_algorithms: str = "RS256,ES256"
    oidc_client_id: str | None = Field(None, description="the web pages' client id at the issuer (sign-in with the "
                                                         "authorization-code flow and PKCE)")
    oidc_client_secret: str | None = Field(None, description="the web client's secret (none for a public client)")
    oidc_redirect_url: str | None = Field(None, description="where the issuer sends the browser back; default: "
                                                            "<this server>/ui/login/oidc/callback")
    oidc_scopes: str = "openid profile email"
    session_hours: int = Field(12, ge=1, le=24 * 30, description="how long a web session (its platform token) lasts")
    demo_login: bool = Field(False, description="let anyone sign in as a demo person (`make run` turns it on; "
                                                "never on a real platform)")
    token_days: int = Field(90, description="how long a platform token lasts unless asked otherwise")
    search_dir: str | None = Field(None, description="folder of the items' full-text index; by default beside an "
                                                     "on-disk store (<store>-search), in memory for other stores")
    timezone: str = Field("Europe/Paris", description="the time zone of dates entered without an offset and of "
                                                        "printed dates (stored dates are UTC)")
    journal_dir: str | None = Field(None, description="folder of the answer journal; by default beside an on-disk "
                                                      "store (<store>-journal)")
    journal_sync: bool = Field(True, description="fsync the answer journal before acknowledging a save (turn off "
                                                 "only to measure what it costs)")
    answer_grace_s: int = Field(120, ge=0, description="seconds after a candidate's deadline during which answers "
                                                       "saved offline are still accepted as a batch")
    disconnect_s: int = Field(60, ge=5, description="seconds without a sign of life before supervisors see a "
                                                    "candidate as disconnected")
    host: str = "127.0.0.1"
    port: int = 8000
    service_allow: str = Field("", description="comma-separated SPARQL endpoints SERVICE (and LOAD) may reach; "
                                               "empty: federation off")
    query_timeout_s: float = 30.0
    query_workers: int = Field(4, description="threads callers' SPARQL queries may occupy at once")
    max_results: int = 100_000
    max_body_bytes: int = 20 * 1024 * 1024
    research_timeout_s: float = Field(20.0, gt=0, description="time limit of a researcher's SPARQL query (the lower "
                                                              "of this and query_timeout_s)")
    research_max_results: int = Field(50_000, ge=1, description="result rows a researcher's query may return (the "
                                                                "lower of this and max_results)")
    research_concurrent: int = Field(2, ge=1, description="queries one researcher may run at once (more: 429)")
    read_log_window_s: int = Field(600, ge=0, description="the same read of personal data by the same caller is "
                                                          "logged once per this many seconds")
    research_secret: str = Field("", description="the secret keying research pseudonyms (HMAC-SHA256); set it "
                                 "once per deployment and keep it: changing it changes every project's pseudonyms")
    erasure: Literal["pseudonymise", "delete"] = Field(
        "pseudonymise", description="what erasing a person does to their answers and grades: irreversibly "
                                    "pseudonymised (kept for the statistics) or deleted")
    validation: Literal["compiled", "pyshacl"] = Field(
        "compiled", description="how writes are checked against the shapes: the compiled checker (proven "
                                "equivalent by tests) or pyshacl itself; `ontosides validate` always uses pyshacl")

    def open_store(self):
        """Open the configured store."""
        hidden = None if self.remote_hidden_graphs is None else tuple(
            g.strip() for g in self.remote_hidden_graphs.split(",") if g.strip())
        return open_store(self.store, kind=self.remote_kind, hidden_graphs=hidden, query_url=self.query_url, update_url=self.update_url,
                          gsp_url=self.gsp_url, user=self.remote_user, password=self.remote_password,
                          update_user=self.remote_update_user, update_password=self.remote_update_password,
                          token=self.remote_token, timeout_s=self.query_timeout_s, base_iri=self.base_iri,
                          federation=self.federation())

    def federation(self) -> Federation:
        """What SERVICE and LOAD may reach."""
        return Federation(frozenset(u.strip() for u in self.service_allow.split(",") if u.strip()))
