"""Command-line interface: `flask seed`, `flask users create|deactivate`, `flask matcher`, `flask jobs`."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from web.services import accounts, matching, seeding
from web.services.booking import sweeps
from web.services.errors import ServiceError
from web.services.validation import InvalidInput
from web.transaction import transaction


@click.command("seed")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder of seed files (default: SEED_DATA_DIR, i.e. seed_data/).")
@click.option("--show-logins", is_flag=True, help="Print the demo accounts afterwards.")
@with_appcontext
def seed_command(data_dir: str | None, show_logins: bool) -> None:
    """Load the demo data (running it twice changes nothing)."""
    with transaction():
        report = seeding.load_seed(data_dir)
    click.echo(str(report))
    if show_logins:
        click.echo(seeding.describe_demo_logins(data_dir))


@click.group("users")
def users_cli() -> None:
    """Manage accounts."""


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["officer", "expert", "coordinator", "admin"]))
@click.option("--municipality", "municipality_code", default=None, help="6桁の団体コード (officer)")
@click.option("--prefecture", "prefecture_code", default=None, help="2桁の都道府県コード (coordinator)")
@click.option("--name", "display_name", default=None, help="表示名")
@with_appcontext
def create_user_command(email: str, password: str, role: str, municipality_code: str | None,
                        prefecture_code: str | None, display_name: str | None) -> None:
    """Create an account."""
    try:
        with transaction():
            user = accounts.create_user(email, password, role, display_name, municipality_code, prefecture_code)
    except InvalidInput as error:
        raise click.ClickException(" ".join(m for messages in error.errors.values() for m in messages)) from error
    except ServiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"アカウントを作成しました（id={user.id}, 役割={user.role_label}）")


@users_cli.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def deactivate_user_command(email: str) -> None:
    """Deactivate an account: no more logins, and its sessions and API tokens end at once."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException("このメールアドレスのアカウントはありません。--email を確認してください。")
    with transaction():
        accounts.deactivate_user(user)
    click.echo(f"アカウントを無効にしました（id={user.id}）。セッションとAPIのアクセストークンはすべて失効しました。")


@click.group("matcher")
def matcher_cli() -> None:
    """Matching index."""


@matcher_cli.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Fit the matching index on every active expert and open issue, and persist it."""
    fitted = matching.rebuild_index()
    click.echo(f"マッチングの索引を作成しました（人材 {len(fitted.expert_ids)}人、課題 {len(fitted.issue_ids)}件）")


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("run")
@with_appcontext
def run_jobs_command() -> None:
    """Run the scheduler in the foreground (use this process instead of SCHEDULER_ENABLED in web workers)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from flask import current_app

    from web.jobs.scheduler import build_scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo("ジョブを開始します（Ctrl+C で停止）")
    build_scheduler(app, BlockingScheduler(timezone="Asia/Tokyo")).start()


@jobs_cli.command("sweep")
@click.option("--job", "job_ids", multiple=True, type=click.Choice(list(sweeps.SWEEPS)),
              help="Run only this sweeper (repeatable); default: all, in order.")
@with_appcontext
def sweep_command(job_ids: tuple[str, ...]) -> None:
    """Run the booking sweepers once now (reminders, expiry, report nudges, reconfirmation); safe to repeat."""
    for job_id in job_ids or tuple(sweeps.SWEEPS):
        with transaction():
            done = sweeps.SWEEPS[job_id]()
        click.echo(f"{job_id}: {done}件")
