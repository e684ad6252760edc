using System.Buffers.Binary;
using System.Reflection;
using System.Reflection.Emit;

namespace XraySyslogSink.Hosting;

/// <summary>
/// The methods a method body calls, constructs or takes the address of (<c>call</c>, <c>callvirt</c>,
/// <c>newobj</c>, <c>ldftn</c>, <c>ldvirtftn</c>), resolved in the body's generic context: how
/// <see cref="JitWarmUp"/> finds the generic instantiations no type walk can name.
/// </summary>
internal static class IlCallSites
{
    private static readonly OpCode[] OneByte = new OpCode[0x100];
    private static readonly OpCode[] TwoByte = new OpCode[0x100];

    static IlCallSites()
    {
        foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = (OpCode)field.GetValue(null)!;
            ushort value = unchecked((ushort)code.Value);
            if (code.Size == 1)
            {
                OneByte[value] = code;
            }
            else
            {
                TwoByte[value & 0xFF] = code;
            }
        }
    }

    /// <summary>A call site: the callee and whether it was constructed (<c>newobj</c>).</summary>
    internal readonly record struct CallSite(MethodBase Callee, bool Constructs);

    /// <summary>
    /// The call sites of <paramref name="method"/>'s body; a token that does not resolve (a method of an assembly
    /// that is not there) is counted in <paramref name="unresolved"/> and left out.
    /// </summary>
    public static List<CallSite> Of(MethodBase method, ref int unresolved)
    {
        var sites = new List<CallSite>();
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return sites;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int at = 0;
        while (at < il.Length)
        {
            OpCode code = il[at] == 0xFE && at + 1 < il.Length ? TwoByte[il[at + 1]] : OneByte[il[at]];
            at += code.Size == 0 ? 1 : code.Size;
            if (IsCallSite(code) && at + 4 <= il.Length)
            {
                int token = BinaryPrimitives.ReadInt32LittleEndian(il.AsSpan(at));
                try
                {
                    if (method.Module.ResolveMethod(token, typeArguments, methodArguments) is { } callee)
                    {
                        sites.Add(new CallSite(callee, code == OpCodes.Newobj));
                    }
                }
                catch (Exception ex) when (ex is ArgumentException or TypeLoadException or FileNotFoundException or BadImageFormatException or MissingMemberException)
                {
                    unresolved++;
                }
            }

            at += OperandSize(code, il, at);
        }

        return sites;
    }

    private static bool IsCallSite(OpCode code) =>
        code == OpCodes.Call || code == OpCodes.Callvirt || code == OpCodes.Newobj || code == OpCodes.Ldftn || code == OpCodes.Ldvirtftn;

    private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        // A switch is its count and that many 4-byte targets.
        OperandType.InlineSwitch when at + 4 <= il.Length => 4 + (4 * BinaryPrimitives.ReadInt32LittleEndian(il.AsSpan(at))),
        _ => 4,
    };
}
