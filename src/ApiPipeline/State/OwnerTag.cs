using System.Security.Cryptography;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// Who owns a run's temporary files, and the tag that names them. A folder or dead-letter file shared by several owners is cleaned
/// up by each for its own files only: another's may be a batch its state store recorded and only its own recovery puts in place.
/// </summary>
internal static class OwnerTag
{
    /// <summary>The tag's length: 16 hex digits.</summary>
    public const int Length = 16;

    /// <summary>
    /// The owner of the runs of <paramref name="id"/> (a pipeline's or chain run's id) whose batches the state store
    /// <paramref name="state"/> records (<see cref="IStateStore.Identity"/>; <see langword="null"/>: no state store). Runs of one id with
    /// another state store, or none, record other batches, so they are other owners.
    /// </summary>
    public static string Owner(string id, string? state) => state is null ? id : id + "\n" + state;

    /// <summary>The first <see cref="Length"/> hex digits of the SHA-256 of <paramref name="owner"/>'s UTF-8 bytes.</summary>
    public static string Of(string owner) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner)))[..Length];
}
