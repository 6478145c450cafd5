import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

/** The repository root: workspaces resolve from there (npm hoists to its node_modules). */
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const nextConfig: NextConfig = {
  // Our workspaces export TypeScript source; Next compiles them with the app.
  transpilePackages: ["@taskflow/events", "@taskflow/kafka", "@taskflow/cassandra"],
  // Loaded by Node at run time, not bundled: kafkajs and the registry client keep
  // their own module state, avsc uses dynamic code, and a bundled cassandra-driver
  // gets minified error class names (err.name === "f").
  serverExternalPackages: ["kafkajs", "@kafkajs/confluent-schema-registry", "avsc", "cassandra-driver", "mappersmith", "protobufjs"],
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
