using System.Security.Cryptography;
using System.Text;

namespace XraySyslogSink.Storage;

/// <summary>
/// A PostgreSQL SCRAM-SHA-256 password verifier (the form <c>pg_authid.rolpassword</c> stores, RFC 5803), computed on
/// the client so that <c>ALTER ROLE … PASSWORD</c> carries the verifier and never the password: a server that logs DDL
/// (<c>log_statement=ddl</c>) or a statement-statistics extension then records no secret it could replay.
/// </summary>
internal static class ScramVerifier
{
    /// <summary>PostgreSQL's default <c>scram_iterations</c>.</summary>
    public const int DefaultIterations = 4096;

    private const int SaltLength = 16;

    /// <summary>
    /// Passwords of printable ASCII only: for those SASLprep (which the server applies to the password at login) is the
    /// identity, so the verifier matches what every client sends. Anything else is refused rather than guessed at.
    /// </summary>
    public static bool IsSupported(string password) =>
        !string.IsNullOrEmpty(password) && !password.AsSpan().ContainsAnyExceptInRange((char)0x20, (char)0x7E);

    public static string Create(string password, int iterations = DefaultIterations) =>
        Create(password, RandomNumberGenerator.GetBytes(SaltLength), iterations);

    public static string Create(string password, ReadOnlySpan<byte> salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!IsSupported(password))
        {
            throw new ArgumentException("the password must be printable ASCII (SASLprep leaves only that unchanged)", nameof(password));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        byte[] salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.ASCII.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, SHA256.HashSizeInBytes);
        byte[] clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        byte[] storedKey = SHA256.HashData(clientKey);
        byte[] serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>The statement that sets <paramref name="role"/>'s password to <paramref name="verifier"/>.</summary>
    public static string AlterRoleStatement(string role, string verifier)
    {
        ArgumentNullException.ThrowIfNull(role);
        ArgumentNullException.ThrowIfNull(verifier);

        // Utility statements take no parameters; both parts are quoted here. The verifier is base64, digits and '$:'.
        return $"ALTER ROLE \"{role.Replace("\"", "\"\"", StringComparison.Ordinal)}\" PASSWORD '{verifier.Replace("'", "''", StringComparison.Ordinal)}'";
    }
}
