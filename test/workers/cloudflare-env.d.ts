// The bindings the workers tests see (wrangler.toml's DB plus the migrations the config reads).
declare module "cloudflare:workers" {
  interface D1PreparedStatementLike {
    run(): Promise<unknown>;
  }
  interface D1DatabaseLike {
    prepare(query: string): D1PreparedStatementLike;
  }
  export const env: {
    DB: D1DatabaseLike;
    TEST_MIGRATIONS: { name: string; queries: string[] }[];
  };
}
