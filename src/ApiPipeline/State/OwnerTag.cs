using System.Security.Cryptography;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// The tag of an owner (a pipeline's or chain run's id, the key its state is kept under) in the names of the temporary files it
/// writes: a folder or dead-letter file shared by several owners is cleaned up by each for its own files only.
/// </summary>
internal static class OwnerTag
{
    /// <summary>The tag's length: 16 hex digits.</summary>
    public const int Length = 16;

    /// <summary>The first <see cref="Length"/> hex digits of the SHA-256 of <paramref name="owner"/>'s UTF-8 bytes.</summary>
    public static string Of(string owner) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner)))[..Length];
}
