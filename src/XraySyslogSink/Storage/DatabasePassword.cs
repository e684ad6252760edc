namespace XraySyslogSink.Storage;

/// <summary>Finds the database password from exactly one source and keeps it out of messages.</summary>
internal static class DatabasePassword
{
    private const string Mask = "***";

    /// <summary>
    /// The password from the connection string, <c>Database:PasswordFile</c> or <c>Database:Password</c>, or null
    /// when none is set (trust or peer authentication, <c>PGPASSFILE</c>). Returns an error naming the key, never
    /// the password, when more than one source is set or the file cannot be read.
    /// </summary>
    public static string? Resolve(DatabaseOptions options, string? fromConnectionString, out string? password) =>
        Resolve(options, fromConnectionString, out password, "ConnectionStrings:Postgres", DatabaseOptions.SectionName);

    /// <summary>
    /// As above for a connection string named <paramref name="key"/> whose password settings are in section
    /// <paramref name="section"/> (the report role's <c>Reports:ConnectionString</c> and <c>Reports:PasswordFile</c>).
    /// </summary>
    public static string? Resolve(DatabaseOptions options, string? fromConnectionString, out string? password, string key, string section)
    {
        ArgumentNullException.ThrowIfNull(options);
        password = string.IsNullOrEmpty(fromConnectionString) ? null : fromConnectionString;
        int sources = (password is null ? 0 : 1) + (options.PasswordFile.Length == 0 ? 0 : 1) + (options.Password.Length == 0 ? 0 : 1);
        if (sources > 1)
        {
            return $"the database password is set in more than one place ({key}, {section}:PasswordFile, {section}:Password): keep one";
        }

        if (options.Password.Length > 0)
        {
            password = options.Password;
        }
        else if (options.PasswordFile.Length > 0)
        {
            try
            {
                string text = File.ReadAllText(options.PasswordFile);
                password = text.TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return $"{section}:PasswordFile '{options.PasswordFile}' cannot be read: {ex.GetType().Name}";
            }

            if (password.Length == 0)
            {
                return $"{section}:PasswordFile '{options.PasswordFile}' is empty";
            }
        }

        return null;
    }

    /// <summary><paramref name="message"/> with the value of any <c>Password=</c> in <paramref name="connectionString"/> masked.</summary>
    public static string Redact(string message, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(connectionString);
        foreach (string part in connectionString.Split(';'))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            string key = part[..equals].Trim();
            string value = part[(equals + 1)..].Trim().Trim('"', '\'');
            if (value.Length > 0 && (key.Equals("Password", StringComparison.OrdinalIgnoreCase) || key.Equals("PWD", StringComparison.OrdinalIgnoreCase)))
            {
                message = message.Replace(value, Mask, StringComparison.Ordinal);
            }
        }

        return message;
    }
}
