namespace XraySyslogSink.Storage;

/// <summary>
/// Options section <c>Database</c>: where the PostgreSQL password comes from, so it need not sit in
/// <c>ConnectionStrings:Postgres</c> (and so in a world-readable settings file).
/// </summary>
/// <remarks>
/// At most one source may be set: a password in the connection string, <see cref="PasswordFile"/> or
/// <see cref="Password"/>. The password is never logged, and error messages about the connection string have it
/// replaced by <c>***</c>.
/// </remarks>
internal sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>
    /// A file holding the password (one line; a trailing newline is ignored), e.g. <c>/etc/xraysink/db-password</c>
    /// readable only by the service, or systemd's credential <c>%d/db-password</c> (<c>LoadCredential=</c>).
    /// Default empty: not used.
    /// </summary>
    public string PasswordFile { get; set; } = string.Empty;

    /// <summary>
    /// The password itself, meant for the environment (<c>XRAYSINK_Database__Password</c>), e.g. from a
    /// container's secret injection. Default empty: not used.
    /// </summary>
    public string Password { get; set; } = string.Empty;
}
