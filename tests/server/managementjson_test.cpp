// The Management API's request body readers (server/management/managementjson.h) over JsonReader: what
// Auth0's SDKs get back for a body they cannot send.
#include "managementapi.h"
#include "managementjson.h"
#include "tenantfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::management;

namespace {

const authorization::Tenant &demoTenant()
{
    static const authorization::Tenant tenant = authorization::loadTenant(authorization::defaultTenantPath(), ManagementApi::definition()).value();
    return tenant;
}

QJsonObject object(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

QJsonObject answer(const http::Response &response)
{
    return QJsonDocument::fromJson(response.body).object();
}

// What a refused body is answered with: the status, Auth0's errorCode and the message.
struct Refusal
{
    int status = 0;
    QString errorCode;
    QString message;
};

Refusal refusalOf(const char *body)
{
    const auto read = readPermissions(demoTenant(), object(body));
    if (read)
        return {};
    const QJsonObject json = answer(oauth::managementResponse(read.error()));
    return {read.error().status, json.value(QLatin1String("errorCode")).toString(), json.value(QLatin1String("message")).toString()};
}

// The first member of `body` not in `allowed`, as a Management API body reports it; empty when all are known.
QString unexpectedMember(const QJsonObject &body, const QStringList &allowed)
{
    const JsonReader read = bodyReader(body);
    return read.allowOnly(allowed) ? QString() : payloadProblem(read.problems().first());
}

} // namespace

TEST(ManagementBody, PermissionsAreReadInOrder)
{
    const auto read = readPermissions(demoTenant(), object(R"({"permissions":[
        {"resource_server_identifier":"organize","permission_name":"read:contacts"},
        {"resource_server_identifier":"organize","permission_name":"delete:calendar"}]})"));
    ASSERT_TRUE(read);
    ASSERT_EQ(read->size(), 2);
    EXPECT_EQ(read->at(0).apiIdentifier, QStringLiteral("organize"));
    EXPECT_EQ(read->at(0).name, QStringLiteral("read:contacts"));
    EXPECT_EQ(read->at(1).name, QStringLiteral("delete:calendar"));
}

TEST(ManagementBody, AProblemIsNamedByItsPathInAuth0sWords)
{
    const Refusal extra = refusalOf(R"({"permissions":[],"extra":1})");
    EXPECT_EQ(extra.status, 400);
    EXPECT_EQ(extra.errorCode, QStringLiteral("invalid_body"));
    EXPECT_EQ(extra.message, QStringLiteral("Payload validation error: 'Additional properties not allowed: extra'.")) << "before the list is looked at";
    EXPECT_EQ(refusalOf(R"({"permissions":[{"resource_server_identifier":"organize","permission_name":"read:contacts","role":"x"}]})").message,
              QStringLiteral("Payload validation error: 'Additional properties not allowed: permissions[0].role'."));
    for (const char *body : {R"({})", R"({"permissions":[]})", R"({"permissions":{}})", R"({"permissions":"read:contacts"})"})
        EXPECT_EQ(refusalOf(body).message, QStringLiteral("Payload validation error: 'permissions: must be an array of 1 to 1000 permissions'.")) << body;
    QJsonArray many;
    for (int i = 0; i < 1001; ++i)
        many.append(QJsonObject{{QStringLiteral("resource_server_identifier"), QStringLiteral("organize")},
                                {QStringLiteral("permission_name"), QStringLiteral("read:contacts")}});
    const auto tooMany = readPermissions(demoTenant(), QJsonObject{{QStringLiteral("permissions"), many}});
    ASSERT_FALSE(tooMany);
    EXPECT_EQ(answer(oauth::managementResponse(tooMany.error())).value(QLatin1String("message")).toString(),
              QStringLiteral("Payload validation error: 'permissions: must be an array of 1 to 1000 permissions'."));
    EXPECT_EQ(refusalOf(R"({"permissions":[{"resource_server_identifier":"organize","permission_name":"read:contacts"},{"permission_name":"read:contacts"}]})")
                  .message,
              QStringLiteral("Payload validation error: 'permissions[1]: each permission needs resource_server_identifier and permission_name'."));
    EXPECT_EQ(refusalOf(R"({"permissions":[7]})").message,
              QStringLiteral("Payload validation error: 'permissions[0]: each permission needs resource_server_identifier and permission_name'."));
}

TEST(ManagementBody, WhatTheTenantCannotGiveIsAnsweredAsAuth0Does)
{
    const Refusal unknownApi = refusalOf(R"({"permissions":[{"resource_server_identifier":"https://nowhere/","permission_name":"read:x"}]})");
    EXPECT_EQ(unknownApi.status, 404);
    EXPECT_EQ(unknownApi.errorCode, QStringLiteral("inexistent_resource_server"));
    EXPECT_EQ(unknownApi.message, QStringLiteral("Resource server \"https://nowhere/\" does not exist"));
    const Refusal unknownScope = refusalOf(R"({"permissions":[{"resource_server_identifier":"organize","permission_name":"read:everything"}]})");
    EXPECT_EQ(unknownScope.status, 400);
    EXPECT_EQ(unknownScope.errorCode, QStringLiteral("invalid_body"));
    EXPECT_EQ(unknownScope.message, QStringLiteral("Permission \"read:everything\" is not defined on the resource server \"organize\""));
    // The first permission that cannot be given is the answer, whatever follows it.
    EXPECT_EQ(refusalOf(R"({"permissions":[{"resource_server_identifier":"organize","permission_name":"read:everything"},
                                           {"resource_server_identifier":"organize","permission_name":"read:contacts","role":"x"}]})")
                  .message,
              QStringLiteral("Permission \"read:everything\" is not defined on the resource server \"organize\""));
    EXPECT_EQ(refusalOf(R"({"permissions":[{"resource_server_identifier":"organize","permission_name":"read:contacts","role":"x"},
                                           {"resource_server_identifier":"https://nowhere/","permission_name":"read:x"}]})")
                  .message,
              QStringLiteral("Payload validation error: 'Additional properties not allowed: permissions[0].role'."));
}

TEST(ManagementBody, UnexpectedMembersAsAuth0WordsThem)
{
    EXPECT_EQ(unexpectedMember(object(R"({"name":"x","signing_secret":"y"})"), {QStringLiteral("name")}),
              QStringLiteral("Additional properties not allowed: signing_secret"));
    EXPECT_EQ(unexpectedMember(object(R"({"name":"x"})"), {QStringLiteral("name"), QStringLiteral("identifier")}), QString());
    const QString longName(300, QLatin1Char('k'));
    EXPECT_EQ(unexpectedMember(QJsonObject{{longName, 1}}, {QStringLiteral("name")}),
              QStringLiteral("Additional properties not allowed: %1").arg(QString(60, QLatin1Char('k'))))
        << "a member's name is cut, whatever its length";
    EXPECT_EQ(payloadProblem({JsonProblem::Kind::WrongType, QStringLiteral("scopes[0].value"), QStringLiteral("expected a string")}),
              QStringLiteral("scopes[0].value: expected a string"));
}

TEST(ManagementBody, AMissingMemberIsNamedAfterAuth0sWords)
{
    const JsonReader read = bodyReader(object(R"({"scope":7})"));
    EXPECT_EQ(read["client_id"].requiredString(missingProperty()), QString());
    read["scope"].forEach([](const JsonReader &) {}, JsonReader::Required, missingProperty(QStringLiteral(" (an array of scopes)")));
    ASSERT_EQ(read.problems().size(), 2);
    EXPECT_EQ(read.problems().at(0).kind, JsonProblem::Kind::Missing);
    EXPECT_EQ(payloadProblem(read.problems().at(0)), QStringLiteral("Missing required property: client_id"));
    EXPECT_EQ(read.problems().at(1).kind, JsonProblem::Kind::WrongType) << "present, but not what it must be";
    EXPECT_EQ(payloadProblem(read.problems().at(1)), QStringLiteral("Missing required property: scope (an array of scopes)"));
}

TEST(ManagementBody, ABoundedStringIsMeasuredAsItIsStored)
{
    const JsonReader read = bodyReader(object(R"({"padded":"  ab  ","blank":"   ","number":5})"));
    EXPECT_EQ(boundedString(read["padded"], {1, 2}, Spaces::Trimmed, {}), QStringLiteral("ab"));
    EXPECT_EQ(boundedString(read["padded"], {1, 6}, Spaces::Kept, {}), QStringLiteral("  ab  "));
    EXPECT_TRUE(read.ok()) << read.error().toStdString();
    EXPECT_EQ(boundedString(read["absent"], {1, 2}, Spaces::Kept, {}), std::nullopt);
    EXPECT_TRUE(read.ok()) << "absent is no problem unless required";

    EXPECT_EQ(boundedString(read["padded"], {1, 5}, Spaces::Kept, {}), std::nullopt);
    EXPECT_EQ(boundedString(read["blank"], {1, 10}, Spaces::Kept, QStringLiteral("must be a name")), std::nullopt) << "blank is as short as empty";
    EXPECT_EQ(boundedString(read["number"], {0, 10}, Spaces::Kept, QStringLiteral("must be a name")), std::nullopt);
    EXPECT_EQ(boundedString(read["absent"], {0, 10}, Spaces::Kept, QStringLiteral("must be a name"), JsonReader::Required), std::nullopt);
    QStringList problems;
    for (const JsonProblem &problem : read.problems())
        problems.append(payloadProblem(problem));
    EXPECT_EQ(problems,
              (QStringList{QStringLiteral("padded: must be a string of 1 to 5 characters"), QStringLiteral("blank: must be a name"),
                           QStringLiteral("number: must be a name"), QStringLiteral("Missing required property: absent")}));
}
