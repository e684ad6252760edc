using System.Security.Cryptography;
using System.Text;

namespace XraySyslogSink.Storage.Migrations;

/// <summary>What a step's SQL may depend on: the schema settings and the schema the tables live in.</summary>
/// <param name="Options">The <c>Schema</c> settings of this run.</param>
/// <param name="QuotedSchema">The schema of the tables, as <c>quote_ident</c> printed it.</param>
internal sealed record SchemaStepContext(SchemaOptions Options, string QuotedSchema)
{
    /// <summary>The context a step's checksum is computed in: default settings, schema <c>public</c>.</summary>
    public static SchemaStepContext Canonical { get; } = new(new SchemaOptions(), "public");
}

/// <summary>
/// One versioned migration: applied once per database, in version order, inside the migration's transaction, and
/// recorded in <c>schema_migrations</c>. Its SQL must be idempotent (<c>IF NOT EXISTS</c>, <c>CREATE OR REPLACE</c>,
/// a guarded <c>DO</c> block), so that it adopts a database where an earlier version of the project made the same
/// objects without recording them. A step never changes once released; a change is a new step.
/// </summary>
/// <param name="Version">Its place in the order, from 1, without gaps.</param>
/// <param name="Name">What it does, in a few words (stored with it).</param>
/// <param name="ExtendsSeed">
/// True when it adds columns or tables to the seed schema (not the sink's own bookkeeping tables): then
/// <c>Schema:SeedOnly</c> records it as skipped instead of applying it, and a later run without that setting applies it.
/// </param>
/// <param name="Sql">Its DDL for a context.</param>
internal sealed record SchemaStep(int Version, string Name, bool ExtendsSeed, Func<SchemaStepContext, string> Sql)
{
    /// <summary>SHA-256 (hex) of the step's SQL in <see cref="SchemaStepContext.Canonical"/>: shows a step edited after release.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql(SchemaStepContext.Canonical))));
}
