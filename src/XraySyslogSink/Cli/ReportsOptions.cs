namespace XraySyslogSink.Cli;

/// <summary>
/// Options section <c>Reports</c>: the role <c>xraysink report</c> connects as. The daemon's writer role may not read
/// <c>logs</c>, so reports run as the read-only <c>xraysink_reader</c> of <c>scripts/sql/roles.sql</c> (granted by
/// <c>xraysink migrate --Schema:ReaderRole=xraysink_reader</c>). Empty <see cref="ConnectionString"/>: reports use
/// <c>ConnectionStrings:Postgres</c> and the <c>Database</c> password settings, as before.
/// </summary>
internal sealed class ReportsOptions
{
    public const string SectionName = "Reports";

    public const string ConnectionStringKey = SectionName + ":" + nameof(ConnectionString);

    /// <summary>e.g. <c>Host=127.0.0.1;Port=5432;Database=xraysink;Username=xraysink_reader</c> (the shipped default).</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>A file holding the reader's password (one line), e.g. <c>/etc/xraysink/reader-password</c>.</summary>
    public string PasswordFile { get; set; } = string.Empty;

    /// <summary>The reader's password itself, meant for the environment (<c>XRAYSINK_Reports__Password</c>).</summary>
    public string Password { get; set; } = string.Empty;
}
