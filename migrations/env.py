"""Alembic environment of Yanxiu.

Plugins ship their tables as their own Alembic branch (``branch_labels``, ``depends_on`` the
core revision) in the folders their ``portal_migration_dirs`` hook returns;
``portal.plugin_assets`` adds those folders to ``version_locations`` before this file runs.
With plugin branches there are several heads, so an upgrade to ``head`` (the Flask-Migrate
default) is run as an upgrade to ``heads``: ``flask db upgrade`` applies the core and every
installed plugin's revisions.
"""

import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


from portal.plugin_assets import core_tables_only as include_object  # noqa: E402


def upgrade_to_all_heads():
    """Context options turning ``upgrade head`` into ``upgrade heads`` when plugins add heads.

    Flask-Migrate's ``upgrade`` targets ``head``, which Alembic refuses once a plugin branch
    makes a second head; with several heads, an upgrade goes to every one of them.
    """
    opts = _command_options()
    fn = opts.get("fn")
    if opts.get("destination_rev") != "head" or fn is None or not fn.__qualname__.startswith("upgrade"):
        return {}
    script = context.script
    if len(script.get_heads()) < 2:
        return {}

    def upgrade(rev, _context):
        # Alembic's own upgrade step, with every head as the destination.
        return script._upgrade_revs("heads", rev)

    return {"fn": upgrade}


def _command_options():
    """Options the running ``alembic`` command gave this environment (its step ``fn``,
    its raw ``destination_rev``); Alembic exposes them only on the environment object."""
    proxy = getattr(context, "_proxy", None)
    return getattr(proxy, "context_opts", None) or {}


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True,
        include_object=include_object, **upgrade_to_all_heads()
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **{"include_object": include_object, **conf_args, **upgrade_to_all_heads()}
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
