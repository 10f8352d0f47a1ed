from __future__ import annotations

import click

from ..server.tokens import ROLES, TokenStore
from .output import json_option, print_json, print_table, reports_errors


@click.group("token")
def command() -> None:
    """Create, list and revoke the access tokens of a product served over HTTP."""


@command.command("create")
@click.argument("path", type=click.Path(file_okay=False, exists=True))
@click.option("--role", type=click.Choice(ROLES), default="reader", show_default=True,
              help="reader: metadata and frames; analyst: + run protocols, save artifacts; admin: + build.")
@click.option("--protocol", "protocols", multiple=True, help="Only this protocol may be run (repeatable).")
@click.option("--note", default="", help="Who or what the token is for.")
@json_option
@reports_errors
def create(path: str, role: str, protocols: tuple[str, ...], note: str, as_json: bool) -> None:
    """Create a token for the product at PATH; it is printed once and stored only hashed."""
    token, info = TokenStore.for_product(path).create(role, list(protocols) or None, note)
    if as_json:
        print_json({"token": token, **info.to_json()})
        return
    click.echo(token)
    click.echo(f"Token {info.id} ({role}{', protocols: ' + ', '.join(protocols) if protocols else ''}). "
               "Store it now: it is not shown again.", err=True)


@command.command("list")
@click.argument("path", type=click.Path(file_okay=False, exists=True))
@json_option
@reports_errors
def list_tokens(path: str, as_json: bool) -> None:
    """List the tokens of the product at PATH (ids and roles, never the tokens)."""
    tokens = [t.to_json() for t in TokenStore.for_product(path).list()]
    if as_json:
        print_json(tokens)
        return
    print_table([{**t, "protocols": ", ".join(t["protocols"]) if t["protocols"] else "(all)"} for t in tokens],
                empty="No tokens.")


@command.command("revoke")
@click.argument("path", type=click.Path(file_okay=False, exists=True))
@click.argument("token_id")
@json_option
@reports_errors
def revoke(path: str, token_id: str, as_json: bool) -> None:
    """Revoke token TOKEN_ID of the product at PATH; it stops working at once."""
    info = TokenStore.for_product(path).revoke(token_id)
    print_json({"revoked": info.id}) if as_json else click.echo(f"Revoked token {info.id}")
