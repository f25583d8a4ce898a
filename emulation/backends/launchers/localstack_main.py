"""Start LocalStack (localstack-core 4.14, host mode) with the platform owning time.

Run by LocalStack's own virtualenv. Two adjustments, both before LocalStack starts:

* its alarm scheduler is switched off: the platform evaluates alarms on its own clock, and two
  evaluators would notify twice;
* the TLS certificate its gateway insists on is made here (``CUSTOM_SSL_CERT_PATH``) instead of
  downloaded — offline there is nothing to download, and its own generator fails with current
  pyOpenSSL (``X509.add_extensions`` is gone).
"""

from __future__ import annotations

import datetime
import os


def _certificate(path: str) -> None:
    if os.path.exists(path) and os.path.getsize(path) > 0:
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost.localstack.cloud")])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.DNSName("localhost.localstack.cloud")]), critical=False)
            .sign(key, hashes.SHA256()))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}"
    with open(partial, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()))
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(partial, path)


def main() -> None:
    _certificate(os.environ["CUSTOM_SSL_CERT_PATH"])
    from localstack.services.cloudwatch import alarm_scheduler

    alarm_scheduler.AlarmScheduler.schedule_metric_alarm = lambda self, alarm_arn: None
    import runpy

    runpy.run_module("localstack.runtime.main", run_name="__main__")


if __name__ == "__main__":
    main()
