# The Twilio emulator as a container: docker build -t twilio-emulator . && docker run -p 4010:4010 twilio-emulator
# Its HTTPS proxy (for unmodified programs, see the README's "Point any program at it") is on 4011;
# `serve --tls` adds the API on HTTPS at 4012 (or at 443 with --tls-port 443).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TWILIO_EMULATOR_HOST=0.0.0.0 \
    TWILIO_EMULATOR_PORT=4010 \
    TWILIO_EMULATOR_PROXY=true \
    TWILIO_EMULATOR_CA_DIR=/ca

WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip install . \
    && useradd --create-home --uid 10001 emulator \
    && mkdir -p /data /ca \
    && chown emulator /data /ca

USER 10001
# Keep state across container restarts with: docker run -v twilio-data:/data ... serve --db /data/emulator.db
# (the README's "Docker" section also mounts a fixtures file).
# /ca holds the local CA (ca.pem, and bundle.pem / truststore.p12 for clients): share it with the
# containers that must trust the emulator, e.g. a named volume mounted read-only in your app.
VOLUME ["/data", "/ca"]
EXPOSE 4010 4011 4012
# No --url: it asks 127.0.0.1 at $TWILIO_EMULATOR_PORT, so `-e TWILIO_EMULATOR_PORT=5000` is followed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["twilio-emulator", "healthcheck"]

ENTRYPOINT ["twilio-emulator"]
CMD ["serve"]
