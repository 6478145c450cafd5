export { startProjector, type Projector, type ProjectorOptions, type HealthReport } from "./projector.ts";
export { startHttpServer, type ProjectorHttpServer } from "./http.ts";
export { PartitionProjector, type ProjectionStore } from "./partition-projector.ts";
export { CassandraProjectionStore } from "./cassandra-store.ts";
export { InteractionDecoder, registrySchemaFetcher, UnknownSchemaIdError } from "./decoder.ts";
export { PartitionState, positionBatch, utcDay, type ChunkDelta, type DayTally, type SourceRecord } from "./projection.ts";
