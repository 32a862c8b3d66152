// The tweet fixtures and database users for any project's tests and the region simulation, imported as `@kubeonazure/tweet-model/testing`.
export { makeTweet, makeTweets, tweet } from './tweets.js';
export { connectionStringAs, databaseUsers, type DatabaseUser } from './database-users.js';
