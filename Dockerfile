# The generator worker image. CPU by default; build with --build-arg EXTRA=gpu for
# onnxruntime-gpu (the CUDA execution provider is then picked by itself).
FROM python:3.11-slim
ARG EXTRA=""
WORKDIR /app
COPY pyproject.toml README.md ./
COPY workers ./workers
COPY export ./export
COPY schemas ./schemas
COPY models ./models
RUN pip install --no-cache-dir ".${EXTRA:+[$EXTRA]}"
ENV COPYFLOW_LOG_FORMAT=json
ENTRYPOINT ["copyflow"]
CMD ["worker"]
