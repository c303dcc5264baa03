import { defineConfig } from "vitest/config";

// Three suites: unit (pure), integration (real SQLite, real DNS servers on loopback, HTTP),
// e2e (network namespaces as root). Each runs on its own with `vitest run --project NAME`.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Namespaces, nft tables and tun devices are machine-wide: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
