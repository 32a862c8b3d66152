// The tweet fixtures for any project's tests, imported as `@kubeonazure/tweet-model/testing`.
export { makeTweet, makeTweets, tweet } from './tweets.js';
export { connectionStringAs, databaseUsers, type DatabaseUser } from './database-users.js';
