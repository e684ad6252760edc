using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Npgsql;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Cli;

/// <summary>
/// <c>xraysink set-password ROLE --password-file FILE</c>: sets a database role's password from a file (or standard
/// input with <c>-</c>), so the password is never on a command line (visible in <c>ps</c> and shell history), and sends
/// only its SCRAM-SHA-256 verifier, so the server's statement log never holds it either. Runs as whoever the
/// configured connection names: a superuser, or a role with CREATEROLE.
/// </summary>
internal sealed class SetPasswordCommand : ICliCommand
{
    // A password file is a line or two; anything longer is the wrong file.
    private const int MaxPasswordFileBytes = 4096;

    public string Name => "set-password";

    public Command Create(CliContext context, CliSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        var role = new Argument<string>("role") { Description = "The role, e.g. xraysink_writer." };
        var file = new Option<string>("--password-file")
        {
            HelpName = "FILE",
            Description = "A file whose first line is the new password (printable ASCII), or - for standard input.",
            Required = true,
        };
        var command = new Command(Name, "Set a database role's password from a file; only its SCRAM-SHA-256 verifier reaches the server, never the password.")
        {
            role,
            file,
        };
        command.SetAction((parse, _) => RunAsync(context, settings.Load(parse), parse.GetValue(role)!, parse.GetValue(file)!));
        return command;
    }

    internal static string ReadPassword(Stream source)
    {
        var buffer = new byte[MaxPasswordFileBytes + 1];
        int length = 0;
        int read;
        while (length < buffer.Length && (read = source.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        if (length > MaxPasswordFileBytes)
        {
            throw new CliUsageException($"the password file is longer than {MaxPasswordFileBytes} bytes; it should hold one line");
        }

        ReadOnlySpan<byte> text = buffer.AsSpan(0, length);
        int end = text.IndexOfAny((byte)'\r', (byte)'\n');
        string password = System.Text.Encoding.UTF8.GetString(end < 0 ? text : text[..end]);
        return ScramVerifier.IsSupported(password)
            ? password
            : throw new CliUsageException("the password must be one non-empty line of printable ASCII (e.g. openssl rand -base64 32)");
    }

    private static async Task<int> RunAsync(CliContext context, IConfiguration configuration, string role, string file)
    {
        if (string.IsNullOrWhiteSpace(role))
        {
            throw new CliUsageException("the role name is empty");
        }

        string password;
        if (file == "-")
        {
            await using Stream input = context.OpenInput();
            password = ReadPassword(input);
        }
        else
        {
            try
            {
                await using FileStream stream = File.OpenRead(file);
                password = ReadPassword(stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"cannot read the password file {file}: {e.Message}");
            }
        }

        await using NpgsqlDataSource dataSource = CliContext.DataSource(configuration);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(context.CancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_roles WHERE rolname = $1", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = role });
            if (await exists.ExecuteScalarAsync(context.CancellationToken) is null)
            {
                throw new CliUsageException($"there is no role {Nodes.NodeText.Escape(role)} (create it with scripts/sql/roles.sql)");
            }
        }

        await using (var alter = new NpgsqlCommand(ScramVerifier.AlterRoleStatement(role, ScramVerifier.Create(password)), connection))
        {
            await alter.ExecuteNonQueryAsync(context.CancellationToken);
        }

        await context.Out.WriteLineAsync($"xraysink: the password of {Nodes.NodeText.Escape(role)} is set (SCRAM-SHA-256)");
        return 0;
    }
}
